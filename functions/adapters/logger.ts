import { Logger } from '@aws-lambda-powertools/logger';
import { withoutEmailAddresses } from '../domain/personal-data';
import type { Log } from '../ports/log';

/**
 * Where API Gateway's request id sits in an HTTP API event: Powertools' own path for it
 * (correlationPaths.API_GATEWAY_HTTP), a plain dotted path.
 */
export const API_CORRELATION_PATH = 'requestContext.requestId';

/**
 * Reads a correlation id at a plain dotted path. Powertools' `search` would evaluate any
 * JMESPath expression, but its engine adds 23 KiB to every bundle for the one path above
 * (docs/performance.md); a path it cannot read yields no correlation id, as a miss does there.
 */
export function searchDottedPath(path: string, data: unknown): unknown {
  if (!/^[A-Za-z0-9_]+(\.[A-Za-z0-9_]+)*$/.test(path)) return undefined;
  return path.split('.').reduce<unknown>((node, key) => (node !== null && typeof node === 'object' ? (node as Record<string, unknown>)[key] : undefined), data);
}

/**
 * One Powertools logger per container. API requests carry API Gateway's request id as the
 * correlation id; workflow tasks and inbound mail add the case id (see the middlewares).
 */
export const logger = new Logger({ serviceName: 'escalation-api', correlationIdSearchFn: searchDottedPath });

/** The Log port over the Powertools logger: ids only, so any email address in a line is replaced first. */
export const log: Log = {
  info: (message, fields = {}) => logger.info(withoutEmailAddresses(message), withoutEmailAddresses(fields)),
  warn: (message, fields = {}) => logger.warn(withoutEmailAddresses(message), withoutEmailAddresses(fields)),
  error: (message, fields = {}) => logger.error(withoutEmailAddresses(message), withoutEmailAddresses(fields)),
};
