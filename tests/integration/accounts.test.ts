import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { escalationRequest, startTestApi, type TestApi } from '../support/api';

// Executive sponsorship and the account's history, through the API on the local stack (each
// call checked against its function's IAM policy).

let api: TestApi;
beforeAll(async () => {
  api = await startTestApi();
});
afterAll(() => api?.close());

describe('accounts', () => {
  it('an executive escalation resolved proposes the account; an admin enrols it; its next escalation goes to the sponsor from intake', async () => {
    const accountId = `sponsored-${Date.now()}`;
    const customer = { accountId, name: 'Globex', contacts: [{ email: 'cio@globex.test', name: 'Hank Scorpio' }] };
    const { body: first } = await api.call('POST', '/escalations', escalationRequest({ customer, severity: 'high', triggers: ['cancellation_threat'], title: `Globex threatens to leave ${accountId}` }));
    await api.call('POST', `/escalations/${first.id}/acknowledge`, { owner: 'owner@example.com' });
    const resolved = await api.call('POST', `/escalations/${first.id}/resolve`, { rootCause: 'a failed migration', fix: 'rolled back', prevention: 'migrations are rehearsed on a copy first' });
    expect(resolved.status).toBe(200);
    const timeline = (await api.call('GET', `/escalations/${first.id}/timeline?limit=100`)).body.items as { type: string }[];
    expect(timeline.filter((event) => event.type === 'sponsorship_proposed')).toHaveLength(1);
    const proposal = (await api.settledMail([first.id])).filter((mail) => mail.subject === 'Executive sponsorship proposed for Globex');
    expect(proposal.map((mail) => mail.destination.to)).toEqual([['vp-customer-success@example.com']]);

    const proposed = await api.call('GET', `/accounts/${accountId}`);
    expect(proposed.status).toBe(200);
    expect(proposed.body.sponsorship.standing).toBe('proposed');

    // Only an admin decides; a bad body names its field.
    expect((await api.call('POST', `/accounts/${accountId}/sponsorship`, { decision: 'enrol', sponsor: 'cro@example.com', reason: 'strategic account' }, { authorization: `Bearer ${api.tokens.write}` })).status).toBe(403);
    const noSponsor = await api.call('POST', `/accounts/${accountId}/sponsorship`, { decision: 'enrol', reason: 'strategic account' });
    expect(noSponsor.status).toBe(400);
    expect(noSponsor.body.errors.map((error: { path: string }) => error.path)).toEqual(['body.sponsor']);
    const enrolled = await api.call('POST', `/accounts/${accountId}/sponsorship`, { decision: 'enrol', sponsor: 'cro@example.com', reason: 'strategic account, threatened to leave' });
    expect(enrolled.status).toBe(200);
    expect(enrolled.body.sponsorship).toMatchObject({ status: 'enrolled', sponsor: 'cro@example.com', reason: 'strategic account, threatened to leave' });

    const { body: next } = await api.call('POST', '/escalations', escalationRequest({ customer, severity: 'medium', triggers: ['platform_slow'], title: `Globex reports slowness ${accountId}` }));
    expect(next.sponsor).toBe('cro@example.com');
    const handoff = (await api.settledMail([next.id])).filter((mail) => mail.destination.to.includes('cro@example.com'));
    expect(handoff.map((mail) => mail.subject)).toHaveLength(1);

    const { body: account } = await api.call('GET', `/accounts/${accountId}`);
    expect(account.escalations.map((escalation: { id: string }) => escalation.id)).toEqual([next.id, first.id]);
    expect(account.sponsorship).toMatchObject({ standing: 'enrolled', decision: { sponsor: 'cro@example.com' } });
    expect(account.timeToResolve.count).toBe(1);
    expect(account.highestTierReached).toBeGreaterThanOrEqual(first.tier);

    const { body: brief } = await api.call('GET', `/accounts/${accountId}/brief`);
    expect(brief.whatWentWrong).toHaveLength(2);
    expect(brief.whatWentWrong[0]).toContain('a failed migration');
    expect(brief.whatWeDidToPreventIt).toEqual([`Globex threatens to leave ${accountId}: migrations are rehearsed on a copy first`]);
    expect(brief.headline).toMatch(/^2 escalations since \d{4}-\d{2}-\d{2}, 1 still open/);

    expect((await api.call('GET', `/accounts/nobody-${accountId}`)).status).toBe(404);

    // The export (admin only) holds everything: the cases with their contacts, timelines and emails, the sponsorship, the directory entries.
    expect((await api.call('GET', `/accounts/${accountId}/export`, undefined, { authorization: `Bearer ${api.tokens.read}` })).status).toBe(403);
    const exported = await api.call('GET', `/accounts/${accountId}/export`);
    expect(exported.status).toBe(200);
    const document = exported.body;
    expect(document.escalations.map((entry: { escalation: { id: string } }) => entry.escalation.id)).toEqual([next.id, first.id]);
    expect(document.escalations[1].escalation.customer.contacts).toEqual([{ email: 'cio@globex.test', name: 'Hank Scorpio' }]);
    expect(document.escalations[1].timeline.map((event: { type: string }) => event.type)).toContain('sponsorship_proposed');
    expect(document.escalations[1].emails.some((email: { to: string[] }) => email.to.includes('cio@globex.test'))).toBe(true);
    expect(document.account.profile.sponsorship.sponsor).toBe('cro@example.com');
    expect(document.account.proposals.map((proposal: { caseId: string }) => proposal.caseId)).toEqual([first.id]);
    expect(document.contactDirectory).toEqual([expect.objectContaining({ accountId, name: 'Hank Scorpio' })]);
    expect((await api.call('GET', `/accounts/nobody-${accountId}/export`)).status).toBe(404);
  }, 60_000);
});
