import { Duration, Stack, Validations } from 'aws-cdk-lib';
import { Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Schedule, type ScheduleExpression } from 'aws-cdk-lib/aws-scheduler';
import { LambdaInvoke } from 'aws-cdk-lib/aws-scheduler-targets';
import type { Construct } from 'constructs';
import { logicalIdOf, type HandlerFunction } from './handler-function';

export interface ScheduledRunProps {
  schedule: ScheduleExpression;
  description: string;
  /** Deliveries EventBridge Scheduler retries before dead-lettering (the run is idempotent). */
  retryAttempts: number;
  /** A delivery older than this is dead-lettered instead: the next run does the same work. */
  maxEventAge: Duration;
}

/**
 * Runs a handler on a schedule with EventBridge Scheduler. Each schedule gets its own role,
 * which only the default schedule group of this account may assume and which may invoke that
 * one function and dead-letter into its queue.
 */
export function scheduleRuns(scope: Construct, id: string, handler: HandlerFunction, props: ScheduledRunProps): Schedule {
  const stack = Stack.of(scope);
  const role = new Role(scope, `${id}Role`, {
    assumedBy: new ServicePrincipal('scheduler.amazonaws.com', {
      conditions: {
        StringEquals: {
          'aws:SourceAccount': stack.account,
          'aws:SourceArn': stack.formatArn({ service: 'scheduler', resource: 'schedule-group', resourceName: 'default' }),
        },
      },
    }),
  });
  const schedule = new Schedule(scope, id, {
    description: props.description,
    schedule: props.schedule,
    target: new LambdaInvoke(handler.function, {
      role,
      retryAttempts: props.retryAttempts,
      maxEventAge: props.maxEventAge,
      ...(handler.deadLetterQueue && { deadLetterQueue: handler.deadLetterQueue }),
    }),
  });
  Validations.of(role).acknowledge({
    id: `AwsSolutions-IAM5[Resource::<${logicalIdOf(handler.function)}.Arn>:*]`,
    reason: `LambdaInvoke grants lambda:InvokeFunction on ${handler.handler} and its versions/aliases ("<function ARN>:*"); the wildcard reaches no other function.`,
  });
  return schedule;
}
