import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { LookupFunction } from 'node:net';
import type { Config } from '../config';
import { checkAddress, checkTargetUrl, type TargetRules } from '../domain/webhook-targets';
import type { WebhookRequest, WebhookSender } from '../ports/webhooks';

/** What is kept of a receiver's answer: enough to show on the deliveries list. */
const MAX_ANSWER_BYTES = 4_096;

/** The rules a stage's deliveries follow: on AWS https to public addresses only; the local stack allows any (its receivers are on 127.0.0.1). */
export function targetRulesOf(config: Config): TargetRules {
  const any = config.WEBHOOK_TARGETS === 'any';
  return { httpsOnly: !any, allowPrivate: any };
}

/** The sender a handler wires in its container() call. */
export const httpsWebhookSender = (config: Config) => new HttpsWebhookSender(targetRulesOf(config));

/**
 * Posts a delivery over the network. The host name is resolved here and every address it gives
 * is checked before connecting, and the connection goes to an address that was checked (the
 * lookup the request uses is ours): a DNS answer that changes between the check and the connect
 * cannot slip a private address in. Redirects are not followed.
 */
export class HttpsWebhookSender implements WebhookSender {
  constructor(private readonly rules: TargetRules) {}

  post(request: WebhookRequest): Promise<{ status: number; body: string }> {
    const url = checkTargetUrl(request.url, this.rules);
    const rules = this.rules;
    const checkedLookup: LookupFunction = (hostname, options, callback) => {
      dnsLookup(hostname, { ...options, all: true }, (error, addresses) => {
        if (error) return callback(error, '', 4);
        const list = addresses as unknown as LookupAddress[];
        try {
          for (const address of list) checkAddress(address.address, rules);
        } catch (refused) {
          return callback(refused as Error, '', 4);
        }
        if ((options as { all?: boolean }).all) return (callback as unknown as (error: null, addresses: LookupAddress[]) => void)(null, list);
        callback(null, list[0]!.address, list[0]!.family);
      });
    };
    const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
    return new Promise((resolve, reject) => {
      const outgoing = send(
        url,
        { method: 'POST', headers: { ...request.headers, 'content-length': String(Buffer.byteLength(request.body)) }, timeout: request.timeoutMs, lookup: checkedLookup },
        (response) => {
          const chunks: Buffer[] = [];
          let size = 0;
          response.on('data', (chunk: Buffer) => {
            if (size < MAX_ANSWER_BYTES) chunks.push(chunk);
            size += chunk.length;
          });
          response.on('end', () => resolve({ status: response.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8').slice(0, MAX_ANSWER_BYTES) }));
          response.on('error', reject);
        },
      );
      outgoing.on('timeout', () => outgoing.destroy(new Error(`no answer within ${request.timeoutMs} ms`)));
      outgoing.on('error', reject);
      outgoing.end(request.body);
    });
  }
}
