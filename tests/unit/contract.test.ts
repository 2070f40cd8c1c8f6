import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { toView } from '../../functions/http/views';
import { fetchChecked, servedContract, type ReceivedAnswer } from '../support/contract';
import { open } from './fixtures';

// The check every API test's answers go through (tests/support/contract.ts), fed answers the
// document does not describe: each must be refused, naming the route, the status and where.

const ID = '6f1c1a4e-8d2b-4c3a-9e5f-0a1b2c3d4e5f';
const caseBody = () => JSON.parse(JSON.stringify({ ...toView(open('high')), id: ID }));

function answer(overrides: Partial<Omit<ReceivedAnswer, 'headers'>> & { json?: unknown; headers?: Record<string, string> }): ReceivedAnswer {
  const { json, headers, ...rest } = overrides;
  return {
    method: 'POST',
    path: '/escalations',
    status: 201,
    body: json === undefined ? '' : JSON.stringify(json),
    ...rest,
    headers: new Headers({ 'content-type': 'application/json', etag: '"1"', location: `/escalations/${ID}`, ...headers }),
  };
}

const check = (received: ReceivedAnswer) => servedContract().check(received);

describe('the contract check', () => {
  it('accepts an answer the document describes', async () => {
    await expect(check(answer({ json: caseBody() }))).resolves.toBeUndefined();
    await expect(check(answer({ method: 'GET', path: `/escalations/${ID}?x=1`, status: 304, headers: { 'content-type': '' } }))).resolves.toBeUndefined();
  });

  it('refuses a field the schema does not have', async () => {
    await expect(check(answer({ json: { ...caseBody(), generation: 3 } }))).rejects.toThrow(
      /^POST \/escalations → 201 \(requested POST \/escalations\): application\/json body: \/generation is refused by additionalProperties/,
    );
  });

  it('refuses a field of the wrong type, deep inside', async () => {
    const body = caseBody();
    body.customer.contacts[0].email = 42;
    await expect(check(answer({ json: body }))).rejects.toThrow(/POST \/escalations → 201 .*\/customer\/contacts\/0\/email is refused by type/);
  });

  it('refuses a missing required field', async () => {
    const { deadlines: _deadlines, ...body } = caseBody();
    await expect(check(answer({ json: body }))).rejects.toThrow(/POST \/escalations → 201 .*\/ is refused by required/);
  });

  it('refuses a status the operation does not document', async () => {
    await expect(check(answer({ status: 202, json: caseBody() }))).rejects.toThrow(/POST \/escalations → 202 .*status 202 is not documented/);
  });

  it('refuses a media type the response does not document', async () => {
    const received = answer({ method: 'GET', path: `/escalations/${ID}`, status: 200, json: caseBody(), headers: { 'content-type': 'text/plain; charset=utf-8' } });
    await expect(check(received)).rejects.toThrow(/GET \/escalations\/\{id\} → 200 .*media type "text\/plain" is not documented/);
  });

  it('refuses an answer without a required header: a 503 without Retry-After', async () => {
    const problem = { type: 'https://escalation-api.dev/problems/service-unavailable', title: 'Service unavailable', status: 503 };
    const received = answer({ status: 503, json: problem, headers: { 'content-type': 'application/problem+json' } });
    await expect(check(received)).rejects.toThrow(/POST \/escalations → 503 .*required header Retry-After is missing/);
    await expect(check({ ...received, headers: new Headers({ 'content-type': 'application/problem+json', 'retry-after': 'soon' }) })).rejects.toThrow(
      /header Retry-After: "soon": \/ is refused by pattern/,
    );
    await expect(check({ ...received, headers: new Headers({ 'content-type': 'application/problem+json', 'retry-after': '2' }) })).resolves.toBeUndefined();
  });

  it('refuses a problem with a member the Problem schema does not have', async () => {
    const problem = { type: 'https://escalation-api.dev/problems/not-found', title: 'Not found', status: 404, stack: 'at …' };
    const received = answer({ method: 'GET', path: `/escalations/${ID}`, status: 404, json: problem, headers: { 'content-type': 'application/problem+json' } });
    await expect(check(received)).rejects.toThrow(/GET \/escalations\/\{id\} → 404 .*\/stack is refused by additionalProperties/);
  });

  it('refuses a body where the document describes none', async () => {
    await expect(check(answer({ method: 'GET', path: `/escalations/${ID}`, status: 304, json: caseBody() }))).rejects.toThrow(/→ 304 .*describes no body/);
  });

  it('holds a request no operation takes to the gateway\'s refusal: 404, or locally 405 with Allow', async () => {
    const problem = (status: number, title: string) => ({ type: `https://escalation-api.dev/problems/${title.toLowerCase().replace(/\W+/g, '-')}`, title, status });
    const refusal = (method: string, path: string, status: number, json: unknown, headers: Record<string, string> = {}) =>
      answer({ method, path, status, json, headers: { 'content-type': 'application/problem+json', ...headers } });
    await expect(check(refusal('GET', '/escalation', 404, problem(404, 'Not found')))).resolves.toBeUndefined();
    await expect(check(refusal('GET', '/escalation', 404, { message: 'Not Found' }, { 'content-type': 'application/json' }))).resolves.toBeUndefined();
    await expect(check(refusal('DELETE', `/escalations/${ID}`, 405, problem(405, 'Method not allowed'), { allow: 'GET, PATCH' }))).resolves.toBeUndefined();

    await expect(check(refusal('GET', '/escalation', 200, caseBody()))).rejects.toThrow(/GET \/escalation \(no such path\) → 200 .*status 200 is not documented \(documented: 404, 405\)/);
    await expect(check(refusal('GET', '/escalation', 404, {}, { 'content-type': 'application/json' }))).rejects.toThrow(/GET \/escalation \(no such path\) → 404 .*\/ is refused by required/);
    await expect(check(refusal('DELETE', `/escalations/${ID}`, 405, problem(405, 'Method not allowed')))).rejects.toThrow(
      /DELETE \/escalations\/\S+ \(no DELETE operation on \/escalations\/\{id\}\) → 405 .*required header Allow is missing/,
    );
  });
});

// The path every test request takes (tests/support/api.ts calls fetchChecked): a server that
// answers what the document does not describe makes the request fail, not only the check.
describe('fetchChecked', () => {
  let server: Server;
  let origin: string;
  beforeAll(async () => {
    server = createServer((req, res) => {
      if (req.url === '/health') {
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ status: 'ok', version: 'x' }));
      } else if (req.url === '/metrics') {
        res.writeHead(418, { 'content-type': 'application/problem+json' }).end(JSON.stringify({ type: 'about:blank', title: "I'm a teapot", status: 418 }));
      } else {
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ status: 'fine' }));
      }
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise((resolve) => server.close(resolve)));

  it('hands over a described answer with its body still readable', async () => {
    const response = await fetchChecked(`${origin}/health`);
    expect(await response.json()).toEqual({ status: 'ok', version: 'x' });
  });

  it('fails the request for an undocumented status or a body off its schema', async () => {
    await expect(fetchChecked(`${origin}/metrics`)).rejects.toThrow(/GET \/metrics → 418 .*status 418 is not documented/);
    await expect(fetchChecked(`${origin}/health?off-schema`)).rejects.toThrow(/GET \/health → 200 .*application\/json body: \/status is refused by const/);
  });
});
