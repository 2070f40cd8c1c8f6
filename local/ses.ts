import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import sesLocalModule from 'aws-ses-v2-local';

// The package is CommonJS with `exports.default`; under ESM the function may sit one level down.
const startServer = ((sesLocalModule as unknown as { default?: typeof sesLocalModule }).default ?? sesLocalModule) as typeof sesLocalModule;

/** Starts local SES v2 (API, sent-mail store and viewer) on loopback. */
export async function startLocalSes(port: number): Promise<{ url: string; stop(): Promise<void> }> {
  const server: Server = await startServer({ host: '127.0.0.1', port });
  const { port: actualPort } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${actualPort}`,
    stop: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
