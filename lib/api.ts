import { Validations } from 'aws-cdk-lib';
import { AccessLogFormat } from 'aws-cdk-lib/aws-apigateway';
import { HttpApi, HttpMethod, HttpStage, LogGroupLogDestination, type HttpRoute } from 'aws-cdk-lib/aws-apigatewayv2';
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

/** API Gateway's scopes are namespaced; the route table speaks of plain `read` and `write`. */

const THROTTLE = { burstLimit: 100, rateLimit: 50 };

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
      if (!route.scope) acknowledgePublicRoute(httpRoute!, route);
    }
  }

  get url(): string {
    return this.stage.url;
  }
}

function acknowledgePublicRoute(httpRoute: HttpRoute, route: Route) {
  Validations.of(httpRoute).acknowledge({
    id: 'AwsSolutions-APIG4',
    reason: `${route.method} ${route.path} is public on purpose (liveness probe / API description); it reads no customer data and the route table marks it without a scope.`,
  });
}
