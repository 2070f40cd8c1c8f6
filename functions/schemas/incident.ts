import * as z from 'zod';

export const CreateIncidentRequest = z.strictObject({
  title: z.string().trim().min(1).max(200).regex(/^[^\u0000-\u001f\u007f]*$/, 'must be a single line: no line breaks or control characters'),
  description: z.string().trim().min(1).max(10_000).optional(),
  escalationIds: z
    .array(z.string().uuid())
    .min(1)
    .max(100)
    .refine((ids) => new Set(ids).size === ids.length, 'each escalation may appear once')
    .describe('the escalations of every affected customer'),
});
export type CreateIncidentInput = z.output<typeof CreateIncidentRequest>;

export const IncidentUpdateRequest = z.strictObject({
  message: z.string().trim().min(1).max(10_000).describe('the approved wording every affected customer receives'),
});

export const IncidentView = z.object({
  id: z.string(),
  version: z.number().int(),
  title: z.string(),
  description: z.string().optional(),
  escalationIds: z.array(z.string()),
  createdAt: z.string(),
  createdBy: z.string(),
  updates: z.array(z.object({ id: z.string(), at: z.string(), actor: z.string(), message: z.string() })),
});

export const BroadcastResult = z.object({
  incidentId: z.string(),
  updateId: z.string(),
  delivered: z.array(z.string()).describe('escalations whose customers were sent this update now'),
  alreadyDelivered: z.array(z.string()).describe('escalations that had it already (a retried broadcast) or are closed'),
});
