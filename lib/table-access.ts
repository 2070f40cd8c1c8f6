import type { Route } from '../functions/http/routes';
import type { TableAccess } from './handler-function';

/**
 * Handlers that never build the container (functions/adapters/container.ts), so they
 * need neither TABLE_NAME nor any grant. Everything else reads the table at cold start.
 */
export const HANDLERS_WITHOUT_TABLE: ReadonlySet<string> = new Set(['health', 'openapi']);

/** Least privilege from the route table: a handler only behind reading GET routes gets read access. */
export function tableAccessOf(handler: string, routes: readonly Route[]): TableAccess {
  if (HANDLERS_WITHOUT_TABLE.has(handler)) return 'none';
  const served = routes.filter((route) => route.handler === handler);
  return served.every((route) => route.method === 'GET') ? 'read' : 'readWrite';
}
