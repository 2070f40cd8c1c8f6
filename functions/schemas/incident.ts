import * as z from 'zod';
import { INCIDENT_STATUSES } from '../domain/incidents';

// Schemas are z.lazy: built on first use, not at cold start (docs/performance.md).
export const CreateIncidentRequest = z.lazy(() =>
  z.strictObject({
    title: z.string().trim().min(1).max(200).regex(/^[^\u0000-\u001f\u007f]*$/, 'must be a single line: no line breaks or control characters'),
    description: z.string().trim().min(1).max(10_000).optional(),
    escalationIds: z
      .array(z.string().uuid())
      .min(1)
      .max(100)
      .refine((ids) => new Set(ids).size === ids.length, 'each escalation may appear once')
      .describe('the escalations of every affected customer'),
  }),
);
export type CreateIncidentInput = z.output<typeof CreateIncidentRequest>;

export const IncidentUpdateRequest = z.lazy(() =>
  z.strictObject({
    message: z.string().trim().min(1).max(10_000).describe('the approved wording every affected customer receives'),
  }),
);

export const CloseIncidentRequest = z.lazy(() =>
  z.strictObject({
    note: z.string().trim().min(1).max(4_000).optional().describe('what the team says about the incident as it closes it'),
  }),
);

export const ListIncidentsQuery = z.lazy(() =>
  z.strictObject({
    status: z.enum(INCIDENT_STATUSES).default('open').describe('open (the default) or closed'),
    limit: z.coerce.number().int().min(1).max(100).default(25),
    cursor: z.string().max(2_000).optional().describe('the nextCursor of the previous page, with the same status'),
  }),
);

export const IncidentView = z.lazy(() =>
  z.object({
    id: z.string(),
    version: z.number().int(),
    status: z.enum(INCIDENT_STATUSES).describe('open while the problem lasts; a closed incident takes no more updates'),
    title: z.string(),
    description: z.string().optional(),
    escalationIds: z.array(z.string()),
    createdAt: z.string(),
    createdBy: z.string(),
    updates: z.array(z.object({ id: z.string(), at: z.string(), actor: z.string(), message: z.string() })),
    closedAt: z.string().optional(),
    closedBy: z.string().optional(),
    closingNote: z.string().optional(),
  }),
);

export const IncidentList = z.lazy(() =>
  z.object({
    items: z.array(IncidentView),
    nextCursor: z.string().optional(),
  }),
);

export const BroadcastResult = z.lazy(() =>
  z.object({
    incidentId: z.string(),
    updateId: z.string(),
    delivered: z.array(z.string()).describe('escalations whose customers were sent this update now'),
    alreadyDelivered: z.array(z.string()).describe('escalations that had it already (a retried broadcast) or are closed'),
  }),
);
