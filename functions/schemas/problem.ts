import * as z from 'zod';

/**
 * RFC 9457 problem details: how the API's own code answers every error (functions/http/problem.ts
 * builds them, and the local gateway answers its own refusals in the same shape).
 */
export const Problem = z.object({
  type: z.string().describe('a URI naming the kind of problem'),
  title: z.string(),
  status: z.number().int().min(400).max(599),
  detail: z.string().optional(),
  instance: z.string().optional().describe('the path of the request that failed'),
  errors: z
    .array(z.object({ path: z.string().describe('where: body.…, query.…, path.… or headers.…'), message: z.string() }))
    .optional()
    .describe('400: each failing field and why'),
  allowed: z.array(z.string()).optional().describe('409 Illegal transition: the moves the lifecycle allows from the current status'),
  retryAfter: z.number().int().nonnegative().optional().describe('503: seconds to wait before retrying, as in the Retry-After header'),
});

/**
 * What API Gateway answers itself when it refuses a request before any function runs: its JWT
 * authorizer (401, 403), its throttling (429) and its payload limit (413) answer this on AWS.
 */
export const GatewayRefusal = z.object({ message: z.string().describe('e.g. "Unauthorized", "Forbidden", "Too Many Requests"') });
