import * as z from 'zod';

/** GET /health: that the function answers and which version runs, nothing else. */
export const HealthView = z.object({
  status: z.literal('ok'),
  version: z.string().describe('the API version, as info.version of the OpenAPI document'),
});
export type HealthBody = z.output<typeof HealthView>;
