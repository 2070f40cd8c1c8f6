/**
 * Runs `run` on every item, at most `limit` at a time; one failing does not stop the others.
 * Afterwards the failures are thrown together (one as itself, several as an AggregateError),
 * so a stream batch or a sweep is retried as a whole while everything that could go through did.
 */
export async function forEachConcurrently<T>(items: readonly T[], limit: number, run: (item: T) => Promise<void>): Promise<void> {
  const failures: unknown[] = [];
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const item = items[next++]!;
      await run(item).catch((error: unknown) => void failures.push(error));
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  if (failures.length === 1) throw failures[0];
  if (failures.length > 1) throw new AggregateError(failures, `${failures.length} of ${items.length} failed`);
}
