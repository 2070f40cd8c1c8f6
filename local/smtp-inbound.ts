import { randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';
import type { RawMailEraser, RawMailStore } from '../functions/ports/raw-mail-store';
import type { SesReceiptEvent } from '../functions/handlers/inbound-email';

type Verdict = 'PASS' | 'FAIL' | 'GRAY' | 'PROCESSING_FAILED' | 'DISABLED';
const CHECKS = ['spf', 'dkim', 'dmarc', 'spam', 'virus'] as const;

/**
 * Local-only test hook: SES computes the verdicts on AWS; here a message may carry
 * `X-Local-Verdicts: spf=FAIL, virus=FAIL` to exercise each refusal. Unlisted checks PASS.
 */
export const VERDICT_HEADER = 'x-local-verdicts';

/** Raw messages kept in memory by SES message id, as the receipt rule's S3 action would. */
export class MemoryRawMailStore implements RawMailStore, RawMailEraser {
  private readonly messages = new Map<string, Buffer>();
  put(id: string, raw: Buffer) {
    this.messages.set(id, raw);
  }
  async get(id: string) {
    const raw = this.messages.get(id);
    if (!raw) throw new Error(`no inbound message ${id}`);
    return raw;
  }
  async delete(ids: string[]) {
    for (const id of ids) this.messages.delete(id);
    return ids.length;
  }
  /** The ids of the messages still stored. */
  ids(): string[] {
    return [...this.messages.keys()];
  }
}

function verdictsFrom(raw: Buffer): Record<(typeof CHECKS)[number], Verdict> {
  const headerBlock = raw.toString('utf8').split(/\r?\n\r?\n/, 1)[0] ?? '';
  const line = new RegExp(`^${VERDICT_HEADER}:(.*)$`, 'im').exec(headerBlock)?.[1] ?? '';
  const verdicts = Object.fromEntries(CHECKS.map((check) => [check, 'PASS'])) as Record<(typeof CHECKS)[number], Verdict>;
  for (const [, check, verdict] of line.matchAll(/(\w+)\s*=\s*(\w+)/g)) {
    if ((CHECKS as readonly string[]).includes(check!.toLowerCase())) verdicts[check!.toLowerCase() as (typeof CHECKS)[number]] = verdict!.toUpperCase() as Verdict;
  }
  return verdicts;
}

export interface InboundResult {
  results: { outcome: string; reason?: string; caseId?: string }[];
}

/**
 * An SMTP server standing in for SES inbound: it stores the raw message and hands the
 * inbound Lambda the same event a receipt rule would. A refused message gets a 550.
 */
export async function startSmtpInbound(port: number, store: MemoryRawMailStore, deliver: (event: SesReceiptEvent) => Promise<InboundResult>) {
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['AUTH', 'STARTTLS'],
    banner: 'Escalation API local inbound',
    size: 10 * 1024 * 1024,
    logger: false,
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('end', async () => {
        const raw = Buffer.concat(chunks);
        const sesMessageId = randomUUID();
        store.put(sesMessageId, raw);
        const verdict = (status: Verdict) => ({ status });
        const verdicts = verdictsFrom(raw);
        const event: SesReceiptEvent = {
          Records: [
            {
              eventSource: 'aws:ses',
              ses: {
                mail: { messageId: sesMessageId, source: session.envelope.mailFrom ? session.envelope.mailFrom.address : '' },
                receipt: {
                  recipients: session.envelope.rcptTo.map((recipient) => recipient.address),
                  spfVerdict: verdict(verdicts.spf),
                  dkimVerdict: verdict(verdicts.dkim),
                  dmarcVerdict: verdict(verdicts.dmarc),
                  spamVerdict: verdict(verdicts.spam),
                  virusVerdict: verdict(verdicts.virus),
                },
              },
            },
          ],
        };
        try {
          const { results } = await deliver(event);
          const refused = results.find((result) => result.outcome === 'refused');
          if (refused) {
            const error = new Error(`message refused: ${refused.reason}`) as Error & { responseCode: number };
            error.responseCode = 550;
            return callback(error);
          }
          callback(null, `accepted: ${results.map((result) => result.outcome).join(', ')}`);
        } catch (error) {
          console.error('local inbound email failed:', error);
          const failure = new Error('temporary failure, try again later') as Error & { responseCode: number };
          failure.responseCode = 451;
          callback(failure);
        }
      });
    },
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  const address = (server.server.address() as AddressInfo).port;
  return { port: address, stop: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}
