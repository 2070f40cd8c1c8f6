import type { Change, EventType } from '../domain/escalation';
import type { Dependencies } from '../ports/dependencies';
import { writeWithLock } from './escalations';

/**
 * What SES reported about an email after it accepted it, through the configuration set:
 * - bounce, complaint: it reached (or was refused by) the recipient's mail server;
 * - rendering_failure: the template's data lacked a variable, so nothing was sent at all;
 * - reject: SES found a virus and sent nothing;
 * - delivery_delay: the recipient's server keeps deferring it; SES is still trying.
 */
export interface DeliveryProblem {
  kind: 'bounce' | 'complaint' | 'rendering_failure' | 'reject' | 'delivery_delay';
  sesMessageId: string;
  recipients: string[];
  detail: string;
}

/** How each kind shows on the timeline, and the metric that counts it (the first two also alarm). */
const RECORDED_AS: Record<DeliveryProblem['kind'], { type: EventType; summary: string; metric: string; dimensions?: Record<string, string> }> = {
  bounce: { type: 'email_bounced', summary: 'email bounced', metric: 'EmailsBounced' },
  complaint: { type: 'email_bounced', summary: 'complaint received', metric: 'EmailComplaints' },
  rendering_failure: { type: 'email_failed', summary: 'SES could not render the email, so it was not sent', metric: 'EmailsUndeliverable', dimensions: { kind: 'rendering_failure' } },
  reject: { type: 'email_failed', summary: 'SES rejected the email (it found a virus), so it was not sent', metric: 'EmailsUndeliverable', dimensions: { kind: 'reject' } },
  delivery_delay: { type: 'email_delayed', summary: 'delivery is delayed', metric: 'EmailsDelayed' },
};

/** SES says an email of ours had a problem after it left us: the case shows it, so someone can reach the customer another way. */
export async function recordDeliveryProblem(deps: Dependencies, problem: DeliveryProblem) {
  const recorded = RECORDED_AS[problem.kind];
  deps.metrics.record(recorded.metric, 1, 'Count', recorded.dimensions);
  const caseId = await deps.repository.caseForSentMessage(problem.sesMessageId);
  if (!caseId) return { recorded: false as const };
  await writeWithLock(deps, caseId, { principal: 'ses' }, (current, ctx): Change => {
    const now = ctx.now.toISOString();
    const who = problem.recipients.length ? ` for ${problem.recipients.join(', ')}` : '';
    return {
      next: { ...current, version: current.version + 1, updatedAt: now },
      events: [{ type: recorded.type, at: now, actor: 'ses', summary: `${recorded.summary}${who}: ${problem.detail}`.slice(0, 2000), data: { ...problem } }],
    };
  });
  return { recorded: true as const, caseId };
}
