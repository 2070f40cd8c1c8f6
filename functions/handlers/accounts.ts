import { container } from '../adapters/container';
import { s3RawMailEraser } from '../adapters/s3-raw-mail-store';
import { byRoute, endpoint } from '../http/endpoint';
import { AccountPath, BriefQuery, ErasureRequest, SponsorshipDecisionRequest } from '../schemas/account';
import { decideAccountSponsorship, eraseAccount, exportAccount, getAccount, getAccountBrief } from '../usecases/accounts';

const deps = container({ rawMailEraser: s3RawMailEraser });

/** Accounts: the history of one customer account across its escalations, its brief, its executive sponsorship, and its personal data. One Lambda, five routes. */
export const handler = byRoute({
  'GET /accounts/{accountId}': endpoint({ path: AccountPath }, async ({ params }) => ({ status: 200, body: await getAccount(deps, params.accountId!) })),
  'GET /accounts/{accountId}/brief': endpoint({ path: AccountPath, query: BriefQuery }, async ({ params, query }) => ({
    status: 200,
    body: await getAccountBrief(deps, params.accountId!, query.since),
  })),
  'POST /accounts/{accountId}/sponsorship': endpoint({ path: AccountPath, body: SponsorshipDecisionRequest }, async ({ params, body, principal }) => ({
    status: 200,
    body: await decideAccountSponsorship(deps, params.accountId!, body, principal),
  })),
  // Everything stored about the account, personal data included: never kept by a cache on the way.
  'GET /accounts/{accountId}/export': endpoint({ path: AccountPath }, async ({ params }) => ({
    status: 200,
    headers: { 'cache-control': 'no-store' },
    body: await exportAccount(deps, params.accountId!),
  })),
  'POST /accounts/{accountId}/erase': endpoint({ path: AccountPath, body: ErasureRequest }, async ({ params, body, principal }) => ({
    status: 200,
    body: await eraseAccount(deps, params.accountId!, body.reason, principal),
  })),
});
