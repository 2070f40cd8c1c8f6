import * as z from 'zod';
import { EmailAddress } from './escalation';

// Requests of the account routes (/accounts/{accountId}…).

/** An account as the customer record names it (the escalations' customer.accountId). */
export const AccountPath = z.object({
  accountId: z
    .string()
    .min(1)
    .max(128)
    .regex(/^[^\u0000-\u001f\u007f]*$/, 'an account id as the escalations name it (customer.accountId)'),
});

export const SponsorshipDecisionRequest = z
  .strictObject({
    decision: z.enum(['enrol', 'decline']).describe('enrol the account in the executive sponsorship programme, or decline it'),
    sponsor: EmailAddress.optional().describe('the executive who sponsors the account (enrol only): their email address, which gets every new escalation of the account from intake'),
    reason: z.string().trim().min(1).max(2_000).describe('why, in a sentence: kept with the decision'),
  })
  .refine((request) => request.decision === 'decline' || request.sponsor !== undefined, { message: 'an enrolment names the sponsor', path: ['sponsor'] })
  .refine((request) => request.decision === 'enrol' || request.sponsor === undefined, { message: 'a declined account has no sponsor: leave sponsor out', path: ['sponsor'] });
export type SponsorshipDecisionInput = z.output<typeof SponsorshipDecisionRequest>;

export const BriefQuery = z.strictObject({
  since: z.iso.datetime({ offset: true }).optional().describe('the period the brief covers starts here (default: 90 days ago, a quarter)'),
});

export const ErasureRequest = z.strictObject({
  reason: z.string().trim().min(1).max(2_000).describe('why the account\'s personal data is erased (a data subject\'s request, the end of the contract): kept in the audit record'),
});
