import * as z from 'zod';

// Built on a task's first event (z.lazy), not at its cold start (docs/performance.md).
const caseGeneration = () => ({ caseId: z.string().min(1), generation: z.number().int().min(1) });

export const ReviewDeadlinesInput = z.lazy(() => z.object({ ...caseGeneration(), iteration: z.number().int().min(0).optional() }));
export const ActOnDeadlineInput = z.lazy(() => z.object({ ...caseGeneration(), checkKey: z.string().min(1), iteration: z.number().int().min(0).optional() }));
export const RecordFailureInput = z.lazy(() =>
  z.object({
    ...caseGeneration(),
    failure: z.object({ Error: z.string().optional(), Cause: z.string().optional() }).optional(),
  }),
);
