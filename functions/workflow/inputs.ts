import * as z from 'zod';

const CaseGeneration = { caseId: z.string().min(1), generation: z.number().int().min(1) };

export const ReviewDeadlinesInput = z.object({ ...CaseGeneration, iteration: z.number().int().min(0).optional() });
export const ActOnDeadlineInput = z.object({ ...CaseGeneration, checkKey: z.string().min(1), iteration: z.number().int().min(0).optional() });
export const RecordFailureInput = z.object({
  ...CaseGeneration,
  failure: z.object({ Error: z.string().optional(), Cause: z.string().optional() }).optional(),
});
