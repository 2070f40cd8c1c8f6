import { Logger } from '@aws-lambda-powertools/logger';
import { correlationPaths, search } from '@aws-lambda-powertools/logger/correlationId';
import { withoutEmailAddresses } from '../domain/personal-data';
import type { Log } from '../ports/log';

/**
 * One Powertools logger per container. API requests carry API Gateway's request id as the
 * correlation id; workflow tasks and inbound mail add the case id (see the middlewares).
 */
export const logger = new Logger({ serviceName: 'escalation-api', correlationIdSearchFn: search });

export const API_CORRELATION_PATH = correlationPaths.API_GATEWAY_HTTP;

/** The Log port over the Powertools logger: ids only, so any email address in a line is replaced first. */
export const log: Log = {
  info: (message, fields = {}) => logger.info(withoutEmailAddresses(message), withoutEmailAddresses(fields)),
  warn: (message, fields = {}) => logger.warn(withoutEmailAddresses(message), withoutEmailAddresses(fields)),
  error: (message, fields = {}) => logger.error(withoutEmailAddresses(message), withoutEmailAddresses(fields)),
};
