import { App, Stack } from 'aws-cdk-lib';
import { Annotations, Match } from 'aws-cdk-lib/assertions';
import { Table, AttributeType } from 'aws-cdk-lib/aws-dynamodb';
import { describe, expect, it } from 'vitest';
import { synthesize, unacknowledgedFindings } from './synthesized';

describe('cdk-nag AwsSolutions checks', () => {
  it('find nothing unacknowledged in the app, and synth (which runs them) succeeds', () => {
    const { app, stack } = synthesize();
    expect(unacknowledgedFindings(app)).toEqual([]);
    expect(Annotations.fromStack(stack).findError('*', Match.anyValue())).toEqual([]);
    expect(Annotations.fromStack(stack).findWarning('*', Match.anyValue())).toEqual([]);
  }, 60_000);

  it('are live: a table without point-in-time recovery is reported', () => {
    const stack = new Stack(new App(), 'Probe');
    new Table(stack, 'Unprotected', { partitionKey: { name: 'pk', type: AttributeType.STRING } });
    expect(unacknowledgedFindings(stack)).toContain('AwsSolutions-DDB3 at Probe/Unprotected/Resource');
  });
});
