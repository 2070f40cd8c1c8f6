import { container } from '../adapters/container';
import { endpoint, type ApiEvent } from '../http/endpoint';
import { AccountPath, BriefQuery, ErasureRequest, SponsorshipDecisionRequest, type SponsorshipDecisionInput } from '../schemas/account';
import { decideAccountSponsorship, eraseAccount, exportAccount, getAccount, getAccountBrief } from '../usecases/accounts';

const deps = container();

const BODIES = { 'POST /accounts/{accountId}/sponsorship': SponsorshipDecisionRequest, 'POST /accounts/{accountId}/erase': ErasureRequest } as const;
const bodyFor = (event: ApiEvent) => BODIES[event.routeKey as keyof typeof BODIES];
const queryFor = (event: ApiEvent) => (event.routeKey === 'GET /accounts/{accountId}/brief' ? BriefQuery : undefined);

/** Accounts: the history of one customer account across its escalations, its brief, and its executive sponsorship. One Lambda, five routes. */
export const handler = endpoint({ path: AccountPath, bodyFor, queryFor }, async ({ event, params, body, query, principal }) => {
  const accountId = params.accountId!;
  switch (event.routeKey) {
    case 'POST /accounts/{accountId}/sponsorship':
      return { status: 200, body: await decideAccountSponsorship(deps, accountId, body as unknown as SponsorshipDecisionInput, principal) };
    case 'POST /accounts/{accountId}/erase':
      return { status: 200, body: await eraseAccount(deps, accountId, (body as unknown as { reason: string }).reason, principal) };
    case 'GET /accounts/{accountId}/export':
      return { status: 200, headers: { 'cache-control': 'no-store' }, body: await exportAccount(deps, accountId) };
    case 'GET /accounts/{accountId}/brief':
      return { status: 200, body: await getAccountBrief(deps, accountId, (query as unknown as { since?: string } | undefined)?.since) };
    default:
      return { status: 200, body: await getAccount(deps, accountId) };
  }
});
