import type { Change } from '../domain/escalation';
import type { Dependencies } from './escalations';
import { writeWithLock } from './escalations';

export interface DeliveryProblem {
  kind: 'bounce' | 'complaint';
  sesMessageId: string;
  recipients: string[];
  detail: string;
}

/** SES says an email of ours bounced or drew a complaint: the case shows it, so someone can reach the customer another way. */
export async function recordDeliveryProblem(deps: Dependencies, problem: DeliveryProblem) {
  deps.metrics.record(problem.kind === 'bounce' ? 'EmailsBounced' : 'EmailComplaints', 1, 'Count');
  const caseId = await deps.repository.caseForSentMessage(problem.sesMessageId);
  if (!caseId) return { recorded: false as const };
  await writeWithLock(deps, caseId, { principal: 'ses' }, (current, ctx): Change => {
    const now = ctx.now.toISOString();
    return {
      next: { ...current, version: current.version + 1, updatedAt: now },
      events: [
        {
          type: 'email_bounced',
          at: now,
          actor: 'ses',
          summary: `${problem.kind === 'bounce' ? 'email bounced' : 'complaint received'} for ${problem.recipients.join(', ')}: ${problem.detail}`,
          data: { ...problem },
        },
      ],
    };
  });
  return { recorded: true as const, caseId };
}
