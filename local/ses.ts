import { appendFileSync, existsSync, readFileSync } from 'node:fs';
import type { Server } from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import sesLocalModule from 'aws-ses-v2-local';

// The package is CommonJS with `exports.default`; under ESM the function may sit one level down.
const startServer = ((sesLocalModule as unknown as { default?: typeof sesLocalModule }).default ?? sesLocalModule) as typeof sesLocalModule;

/** aws-ses-v2-local's in-memory store (the module its server saves through). */
interface SesStore {
  saveEmail: (email: { messageId: string }) => void;
  getStoreReadonly: () => { emails: { messageId: string }[] };
}
const store = createRequire(import.meta.url)('aws-ses-v2-local/dist/store') as SesStore;

export interface LocalSesOptions {
  /**
   * Keep every sent email in this file (one JSON line each) and show earlier ones again after
   * a restart: with data kept on disk, the mail viewer is the record of what went out.
   */
  sentMailFile?: string;
}

/** Starts local SES v2 (API, sent-mail store and viewer) on loopback. */
export async function startLocalSes(port: number, options: LocalSesOptions = {}): Promise<{ url: string; stop(): Promise<void> }> {
  const { sentMailFile } = options;
  // As strict as SES: a template whose data lacks a variable is not sent. (SES accepts the send
  // and reports a rendering failure afterwards; locally the send itself fails, and the outbox
  // records the failure on the case at once.)
  process.env.AWS_SES_STRICT_TEMPLATE_RENDERING = 'true';
  if (sentMailFile) keepSentMail(sentMailFile);
  const server: Server = await startServer({ host: '127.0.0.1', port });
  const { port: actualPort } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${actualPort}`,
    stop: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

let keptIn: string | undefined;

function keepSentMail(file: string) {
  if (keptIn === file) return;
  keptIn = file;
  const { emails } = store.getStoreReadonly();
  if (existsSync(file)) {
    const known = new Set(emails.map((email) => email.messageId));
    for (const line of readFileSync(file, 'utf8').split('\n')) {
      if (!line.trim()) continue;
      const email = JSON.parse(line) as { messageId: string };
      if (!known.has(email.messageId)) emails.push(email);
    }
  }
  const save = store.saveEmail;
  // The package's send handlers call the store through its exports object, so this is what they reach.
  store.saveEmail = (email) => {
    save(email);
    appendFileSync(file, `${JSON.stringify(email)}\n`);
  };
}
