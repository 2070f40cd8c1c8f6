import { App, Stack } from 'aws-cdk-lib';
import { Annotations, Match } from 'aws-cdk-lib/assertions';
import { Table, AttributeType } from 'aws-cdk-lib/aws-dynamodb';
import type { IConstruct } from 'constructs';
import { describe, expect, it } from 'vitest';
import { buildApp } from '../../lib/app';
import { INBOUND_CONTEXT, TEST_CONTEXT, synthesize, unacknowledgedFindings } from './synthesized';

/** The rules the app acknowledges, each for a reason written next to it (and listed in docs/deploy.md). */
const ACKNOWLEDGEABLE = [
  'AwsSolutions-IAM5', // wildcards AWS allows no narrower than: X-Ray, log delivery, GSIs, executions, object prefix, function versions
  'AwsSolutions-L1', // nodejs24.x pinned to match the esbuild target and the artifact tier's Node
  'AwsSolutions-APIG4', // the public routes of the route table
  'AwsSolutions-SMG4', // the survey key is not rotated automatically
  'AwsSolutions-S1', // the access-log bucket does not log itself
  'AwsSolutions-SQS3', // the stream's on-failure destination is not recognised as a DLQ
];

/** Every acknowledgement in the tree: rule id, reason, where. */
function acknowledgements(scope: IConstruct) {
  return scope.node.findAll().flatMap((node) =>
    node.node.metadata
      .filter((entry) => entry.type === 'aws:cdk:acknowledged-rules')
      .flatMap((entry) => Object.entries(entry.data as Record<string, string>).map(([id, reason]) => ({ id: id.replace(/^Annotation::/, ''), reason, path: node.node.path }))),
  );
}

describe.each([
  ['without inbound email', {}],
  ['with inbound email', INBOUND_CONTEXT],
])('cdk-nag AwsSolutions checks (%s)', (_, context) => {
  it('find nothing unacknowledged in the app, and synth (which runs them) succeeds', () => {
    const { app, stack } = synthesize(context);
    // synthesize() has run app.synth() already (Template.fromStack), plugins included: it would have thrown.
    expect(unacknowledgedFindings(app)).toEqual([]);
    expect(Annotations.fromStack(stack).findError('*', Match.anyValue())).toEqual([]);
    // The one warning the app may give: the built-in playbook's placeholder contacts (see below).
    expect(Annotations.fromStack(stack).findWarning('*', Match.stringLikeRegexp('^(?![\\s\\S]*placeholder addresses)'))).toEqual([]);
  }, 60_000);

  it('warn at synth while the playbook still routes alerts to placeholder addresses', () => {
    const { stack } = synthesize(context);
    const warnings = Annotations.fromStack(stack).findWarning('*', Match.stringLikeRegexp('placeholder addresses'));
    expect(warnings).toHaveLength(1);
    expect(String(warnings[0]!.entry.data)).toContain('support@example.com');
  }, 60_000);

  it('are acknowledged only for known rules, each with a written reason', () => {
    const { app } = synthesize(context);
    const found = acknowledgements(app);
    expect(found.length).toBeGreaterThan(0);
    for (const { id, reason, path } of found) {
      expect(ACKNOWLEDGEABLE, `${id} at ${path}`).toContain(id.replace(/\[.*$/, ''));
      expect(reason.length, `reason for ${id} at ${path}`).toBeGreaterThan(60);
    }
  }, 60_000);
});

describe('cdk-nag', () => {
  it('is live: a table without point-in-time recovery is reported', () => {
    const stack = new Stack(new App(), 'Probe');
    new Table(stack, 'Unprotected', { partitionKey: { name: 'pk', type: AttributeType.STRING } });
    expect(unacknowledgedFindings(stack)).toContain('AwsSolutions-DDB3 at Probe/Unprotected/Resource');
  });

  it('fails synth of the app on a finding nobody acknowledged', () => {
    const { app, stack } = buildApp(TEST_CONTEXT);
    new Table(stack, 'Unprotected', { partitionKey: { name: 'pk', type: AttributeType.STRING } });
    expect(() => app.synth()).toThrow(/AwsSolutions-DDB3/);
  }, 60_000);
});
