// Runs in a fresh Node process per measurement (bench/cold-start.ts): imports one Lambda
// bundle the way the Lambda runtime does at INIT, and reports how long that took.
// Plain JavaScript on purpose: nothing but Node itself is loaded before the bundle.
//
//   node init-probe.mjs /path/to/index.mjs   →   one JSON line on stdout
import net from 'node:net';
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';

// Time from process start (performance.timeOrigin) until this line: Node's own bootstrap.
const bootMs = performance.now();

// No bundle may reach the network at import: every TCP connection attempt (http, https,
// tls and the SDK's endpoints all end up here) and fetch are refused and reported.
const attempts = [];
const refuse = (what) => {
  attempts.push(what);
  throw new Error(`init-probe: network access at import (${what})`);
};
const connect = net.Socket.prototype.connect;
net.Socket.prototype.connect = function guardedConnect(...args) {
  const target = args[0];
  const where = typeof target === 'object' && target ? `${target.host ?? target.path ?? ''}:${target.port ?? ''}` : String(target);
  // Unix sockets and pipes (stdio) are local; anything else is network.
  if (typeof target === 'object' && target?.path) return connect.apply(this, args);
  return refuse(`connect ${where}`);
};
globalThis.fetch = async (input) => refuse(`fetch ${String(input)}`);

const started = performance.now();
let error;
let handlerType;
try {
  const module = await import(pathToFileURL(process.argv[2]).href);
  handlerType = typeof module.handler;
} catch (caught) {
  error = `${caught?.name}: ${caught?.message}`;
}
const importMs = performance.now() - started;
// Let anything the import scheduled for "right after" run, so a deferred connection is caught too.
await new Promise((resolve) => setTimeout(resolve, 20));
process.stdout.write(`${JSON.stringify({ bootMs, importMs, totalMs: bootMs + importMs, handlerType, error, network: attempts })}\n`);
process.exit(0);
