import { Validations } from 'aws-cdk-lib';
import { AccessLogFormat } from 'aws-cdk-lib/aws-apigateway';
import { CfnStage, HttpApi, HttpMethod, HttpStage, LogGroupLogDestination, type HttpRoute } from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpJwtAuthorizer } from 'aws-cdk-lib/aws-apigatewayv2-authorizers';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { oauthScope, type Route } from '../functions/http/routes';

export interface EscalationHttpApiProps {
  routes: readonly Route[];
  /** The Lambda behind each handler name the routes use. */
  functions: ReadonlyMap<string, IFunction>;
  jwtIssuer: string;
  jwtAudience: string[];
}

/** The stage-wide default: requests per second (steady) and burst, across all clients. */
export const THROTTLE = { burstLimit: 100, rateLimit: 50 };

export interface RouteThrottle {
  rateLimit: number;
  burstLimit: number;
}

/**
 * Each route's own limit, below the stage default. Writes fan out to DynamoDB transactions,
 * Step Functions and SES, so they get less than reads; public routes (no token needed) the
 * least, so an unauthenticated flood cannot spend the account's Lambda concurrency.
 */
export function throttleOf(route: Route): RouteThrottle {
  if (!route.scope) return { rateLimit: 10, burstLimit: 20 };
  if (route.scope === 'write') return { rateLimit: 20, burstLimit: 40 };
  return { rateLimit: 50, burstLimit: 100 };
}

// One JSON object per request, so Logs Insights can query fields without parsing.
const ACCESS_LOG_FIELDS = {
  requestId: '$context.requestId',
  ip: '$context.identity.sourceIp',
  userAgent: '$context.identity.userAgent',
  requestTime: '$context.requestTime',
  routeKey: '$context.routeKey',
  status: '$context.status',
  protocol: '$context.protocol',
  responseLength: '$context.responseLength',
  latency: '$context.responseLatency',
  integrationLatency: '$context.integrationLatency',
  integrationError: '$context.integrationErrorMessage',
  authorizerError: '$context.authorizer.error',
  principal: '$context.authorizer.claims.sub',
};

/** The HTTP API: one route per entry of the shared route table, JWT-checked where it names a scope. */
export class EscalationHttpApi extends Construct {
  readonly api: HttpApi;
  readonly stage: HttpStage;

  constructor(scope: Construct, id: string, props: EscalationHttpApiProps) {
    super(scope, id);
    // The default stage is declared below, to give it throttling and access logs.
    this.api = new HttpApi(this, 'HttpApi', { createDefaultStage: false });
    const accessLogs = new LogGroup(this, 'AccessLogs', { retention: RetentionDays.ONE_MONTH });
    this.stage = new HttpStage(this, 'DefaultStage', {
      httpApi: this.api,
      autoDeploy: true,
      throttle: THROTTLE,
      accessLogSettings: {
        destination: new LogGroupLogDestination(accessLogs),
        format: AccessLogFormat.custom(JSON.stringify(ACCESS_LOG_FIELDS)),
      },
    });

    const authorizer = new HttpJwtAuthorizer('JwtAuthorizer', props.jwtIssuer, { jwtAudience: props.jwtAudience });
    const integrations = new Map<string, HttpLambdaIntegration>();
    const routeSettings: Record<string, { ThrottlingRateLimit: number; ThrottlingBurstLimit: number }> = {};
    for (const route of props.routes) {
      const handler = props.functions.get(route.handler);
      if (!handler) throw new Error(`route ${route.method} ${route.path} names handler "${route.handler}", which has no function`);
      // One integration per Lambda; a Lambda serving several routes reuses it.
      if (!integrations.has(route.handler)) integrations.set(route.handler, new HttpLambdaIntegration(`${route.handler}-integration`, handler));
      const [httpRoute] = this.api.addRoutes({
        path: route.path,
        methods: [HttpMethod[route.method]],
        integration: integrations.get(route.handler)!,
        ...(route.scope && { authorizer, authorizationScopes: [oauthScope(route.scope)] }),
      });
      if (route.publicBecause) acknowledgePublicRoute(httpRoute!, route, route.publicBecause);
      const throttle = throttleOf(route);
      routeSettings[`${route.method} ${route.path}`] = { ThrottlingRateLimit: throttle.rateLimit, ThrottlingBurstLimit: throttle.burstLimit };
      // Route settings name routes by key: the stage may only be updated once they exist.
      this.stage.node.addDependency(httpRoute!);
    }
    (this.stage.node.defaultChild as CfnStage).routeSettings = routeSettings;
  }

  get url(): string {
    return this.stage.url;
  }
}

/** A route the route table leaves without a scope, for the reason it gives there. */
function acknowledgePublicRoute(httpRoute: HttpRoute, route: Route, because: string) {
  Validations.of(httpRoute).acknowledge({
    id: 'AwsSolutions-APIG4',
    reason: `${route.method} ${route.path} is public on purpose: ${because}. The route is throttled to ${throttleOf(route).rateLimit} requests/s.`,
  });
}
