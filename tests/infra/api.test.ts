import type { Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { ROUTES, SCOPE_PREFIX } from '../../functions/http/routes';
import { THROTTLE, throttleOf } from '../../lib/api';
import type { EscalationApiStack } from '../../lib/escalation-api-stack';
import { TEST_CONTEXT, logicalIdOf, resourcesOf, synthesize, type Resource } from './synthesized';

const routeKey = (route: (typeof ROUTES)[number]) => `${route.method} ${route.path}`;
const SCOPED_ROUTES = ROUTES.filter((route) => route.scope);
const PUBLIC_ROUTES = ROUTES.filter((route) => !route.scope);

describe('the HTTP API', () => {
  let template: Template;
  let stack: EscalationApiStack;

  beforeAll(() => {
    ({ template, stack } = synthesize());
  }, 60_000);

  const routes = () => Object.values(resourcesOf(template, 'AWS::ApiGatewayV2::Route'));
  const routeFor = (key: string): Resource => {
    const found = routes().filter((route) => route.Properties.RouteKey === key);
    expect(found, `routes with key ${key}`).toHaveLength(1);
    return found[0]!;
  };
  const authorizerId = () => Object.keys(resourcesOf(template, 'AWS::ApiGatewayV2::Authorizer'))[0]!;

  it('has exactly the routes of the route table', () => {
    expect(routes().map((route) => route.Properties.RouteKey).sort()).toEqual(ROUTES.map(routeKey).sort());
  });

  it.each(ROUTES.map((route) => [routeKey(route), route] as const))('%s reaches its handler Lambda', (key, route) => {
    const integrationId = routeFor(key).Properties.Target['Fn::Join'][1][1].Ref;
    const integration = resourcesOf(template, 'AWS::ApiGatewayV2::Integration')[integrationId]!;
    const handlerFunction = stack.handlers.get(route.handler)!.function;
    expect(integration.Properties).toMatchObject({
      IntegrationType: 'AWS_PROXY',
      PayloadFormatVersion: '2.0',
      IntegrationUri: { 'Fn::GetAtt': [logicalIdOf(handlerFunction), 'Arn'] },
    });
  });

  it('checks JWTs from the configured issuer and audience', () => {
    const authorizers = Object.values(resourcesOf(template, 'AWS::ApiGatewayV2::Authorizer'));
    expect(authorizers).toHaveLength(1);
    expect(authorizers[0]!.Properties).toMatchObject({
      AuthorizerType: 'JWT',
      IdentitySource: ['$request.header.Authorization'],
      JwtConfiguration: { Issuer: TEST_CONTEXT.jwtIssuer, Audience: [TEST_CONTEXT.jwtAudience] },
    });
  });

  it.each(SCOPED_ROUTES.map((route) => [routeKey(route), route] as const))('%s requires a JWT with its scope', (key, route) => {
    expect(routeFor(key).Properties).toMatchObject({
      AuthorizationType: 'JWT',
      AuthorizerId: { Ref: authorizerId() },
      AuthorizationScopes: [`${SCOPE_PREFIX}${route.scope}`],
    });
  });

  it.each(PUBLIC_ROUTES.map(routeKey))('%s is public', (key) => {
    const { Properties } = routeFor(key);
    expect(Properties.AuthorizationType).toBe('NONE');
    expect(Properties.AuthorizerId).toBeUndefined();
    expect(Properties.AuthorizationScopes).toBeUndefined();
  });

  it('has exactly these public routes, each saying why (the reason goes into its cdk-nag acknowledgement)', () => {
    expect(PUBLIC_ROUTES.map(routeKey).sort()).toEqual(['GET /csat/{token}', 'GET /health', 'POST /csat/{token}']);
    const publicInTemplate = routes().filter((route) => route.Properties.AuthorizationType === 'NONE').map((route) => route.Properties.RouteKey);
    expect(publicInTemplate.sort()).toEqual(PUBLIC_ROUTES.map(routeKey).sort());
    for (const route of PUBLIC_ROUTES) expect(route.publicBecause!.length, routeKey(route)).toBeGreaterThan(40);
  });

  it('serves one auto-deployed default stage, throttled, with JSON access logs', () => {
    const stages = Object.values(resourcesOf(template, 'AWS::ApiGatewayV2::Stage'));
    expect(stages).toHaveLength(1);
    const { Properties } = stages[0]!;
    expect(Properties).toMatchObject({
      StageName: '$default',
      AutoDeploy: true,
      DefaultRouteSettings: { ThrottlingBurstLimit: 100, ThrottlingRateLimit: 50 },
    });
    const logFields = JSON.parse(Properties.AccessLogSettings.Format);
    expect(logFields).toMatchObject({
      requestId: '$context.requestId',
      ip: '$context.identity.sourceIp',
      routeKey: '$context.routeKey',
      status: '$context.status',
      latency: '$context.responseLatency',
    });
    const logGroupId = Properties.AccessLogSettings.DestinationArn['Fn::GetAtt'][0];
    expect(resourcesOf(template, 'AWS::Logs::LogGroup')[logGroupId]!.Properties.RetentionInDays).toBe(30);
  });

  it('has the survey form as its only public route that writes; no GET anywhere writes, since links get opened by scanners', () => {
    expect(PUBLIC_ROUTES.filter((route) => route.method !== 'GET').map(routeKey)).toEqual(['POST /csat/{token}']);
    // Every route that is not one of these few public ones has the authorizer (checked per route above).
    expect(SCOPED_ROUTES.length + PUBLIC_ROUTES.length).toBe(ROUTES.length);
  });

  it.each(ROUTES.map((route) => [routeKey(route), route] as const))('%s has its own throttle, below the stage default', (key, route) => {
    const { Properties } = Object.values(resourcesOf(template, 'AWS::ApiGatewayV2::Stage'))[0]!;
    const limit = throttleOf(route);
    expect(Properties.RouteSettings[key]).toEqual({ ThrottlingRateLimit: limit.rateLimit, ThrottlingBurstLimit: limit.burstLimit });
    expect(limit.rateLimit).toBeLessThanOrEqual(THROTTLE.rateLimit);
    expect(limit.burstLimit).toBeLessThanOrEqual(THROTTLE.burstLimit);
  });

  it('throttles public routes hardest and writes harder than reads', () => {
    const rate = (scope?: 'read' | 'write') => throttleOf({ method: 'GET', path: '/x', handler: 'x', ...(scope ? { scope } : { publicBecause: 'a probe' }) }).rateLimit;
    expect(rate()).toBeLessThan(rate('write'));
    expect(rate('write')).toBeLessThan(rate('read'));
  });

  it('updates the stage only after every route it throttles exists', () => {
    const [stage] = Object.values(resourcesOf(template, 'AWS::ApiGatewayV2::Stage'));
    const routeIds = Object.keys(resourcesOf(template, 'AWS::ApiGatewayV2::Route'));
    expect(stage!.DependsOn).toEqual(expect.arrayContaining(routeIds));
  });

  it('outputs the API URL and the table name', () => {
    const tableId = Object.keys(resourcesOf(template, 'AWS::DynamoDB::Table'))[0]!;
    const outputs = template.toJSON().Outputs;
    expect(outputs.TableName.Value).toEqual({ Ref: tableId });
    expect(JSON.stringify(outputs.ApiUrl.Value)).toContain(logicalIdOf(stack.node.findChild('Api').node.findChild('HttpApi')));
  });
});
