// One Lambda execution environment, run by tests/artifacts/lambdas.ts in a process of its own
// under the Node of the Lambda runtime, with the environment the template gives the function.
// Plain JavaScript on purpose: nothing but Node itself is loaded before the bundle.
//
// INIT: imports the handler's module as the Node.js runtime does and reports how long it took
// (or why it failed). Then serves invocations from the IPC channel one at a time, as a warm
// execution environment does: { type: 'invoke', id, event, timeoutMs } → result or error.
//
//   node lambda-sandbox.mjs /path/to/asset/index.mjs handler
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';

// From process start (performance.timeOrigin) until here: Node's own bootstrap.
const bootMs = performance.now();
const [modulePath, exportName] = process.argv.slice(2);

const send = (message) => new Promise((resolve) => process.send(message, () => resolve()));
const describe = (error) =>
  error instanceof Error ? { name: error.name, message: error.message, stack: error.stack } : { name: typeof error, message: String(error) };

let handler;
const started = performance.now();
try {
  const module = await import(pathToFileURL(modulePath).href);
  handler = module[exportName];
  if (typeof handler !== 'function') throw new TypeError(`${modulePath} exports no function "${exportName}" (found ${typeof handler})`);
} catch (error) {
  await send({ type: 'init-error', node: process.version, error: describe(error) });
  process.exit(1);
}
const initMs = performance.now() - started;
await send({ type: 'ready', node: process.version, bootMs, initMs });

process.on('message', async (message) => {
  if (message?.type !== 'invoke') return;
  const deadline = Date.now() + message.timeoutMs;
  const functionName = process.env.AWS_LAMBDA_FUNCTION_NAME;
  const context = {
    callbackWaitsForEmptyEventLoop: true,
    functionName,
    functionVersion: process.env.AWS_LAMBDA_FUNCTION_VERSION,
    invokedFunctionArn: message.functionArn,
    memoryLimitInMB: process.env.AWS_LAMBDA_FUNCTION_MEMORY_SIZE,
    awsRequestId: message.id,
    logGroupName: process.env.AWS_LAMBDA_LOG_GROUP_NAME,
    logStreamName: process.env.AWS_LAMBDA_LOG_STREAM_NAME,
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
  try {
    const result = await handler(message.event, context);
    // Lambda answers the JSON serialization of what the handler returned.
    await send({ type: 'result', id: message.id, result: result === undefined ? null : JSON.parse(JSON.stringify(result)) });
  } catch (error) {
    await send({ type: 'error', id: message.id, error: describe(error) });
  }
});
process.on('disconnect', () => process.exit(0));
