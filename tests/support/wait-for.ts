/** Polls until `probe` returns a value that is not undefined/false, or fails with what it last saw. */
export async function waitFor<T>(probe: () => Promise<T | undefined | false>, { timeoutMs = 10_000, everyMs = 25, what = 'condition' } = {}): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
}
