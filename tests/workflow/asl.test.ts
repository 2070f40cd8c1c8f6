import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { CHECK_ACTIONS } from '../../functions/domain/deadline-checks';
import { STATE_MACHINE_FILE, WORKFLOW_TASKS } from '../../functions/workflow/definition';
import { loadDefinition } from '../../local/workflow-engine';

const require = createRequire(import.meta.url);
const aslValidator = require('asl-validator') as (definition: unknown) => { isValid: boolean; errorsText: (separator?: string) => string };

describe('statemachines/escalation.asl.json', () => {
  const definition = loadDefinition() as unknown as { States: Record<string, any>; StartAt: string };

  it('is valid Amazon States Language', () => {
    const { isValid, errorsText } = aslValidator(definition);
    expect(isValid, errorsText('\n')).toBe(true);
  });

  it('uses only the substitutions CDK provides', () => {
    const raw = readFileSync(STATE_MACHINE_FILE, 'utf8');
    const used = new Set([...raw.matchAll(/\$\{(\w+)\}/g)].map(([, name]) => name));
    expect([...used].sort()).toEqual(Object.keys(WORKFLOW_TASKS).sort());
  });

  it('retries every task with backoff and catches into the recorded failure', () => {
    const tasks = Object.entries(definition.States).filter(([, state]) => state.Type === 'Task');
    expect(tasks.length).toBeGreaterThan(3);
    for (const [name, state] of tasks) {
      expect(state.Resource, name).toBe('arn:aws:states:::lambda:invoke');
      expect(state.Retry?.length, `${name} has Retry`).toBeGreaterThan(0);
      // A malformed input is a bug in the ASL: never retried. Everything else backs off.
      expect(state.Retry[0], name).toEqual({ ErrorEquals: ['TaskInputError'], MaxAttempts: 0 });
      for (const retrier of state.Retry.slice(1)) expect(retrier.BackoffRate, name).toBeGreaterThan(1);
      const catcher = state.Catch?.[0];
      expect(catcher?.ErrorEquals, `${name} has a catch-all`).toContain('States.ALL');
      expect(catcher.Next, name).toBe(name === 'RecordFailure' ? 'DeadlineWorkFailed' : 'RecordFailure');
    }
  });

  it('routes every action the rules can ask for, and sleeps only in Wait states reading the planned instant', () => {
    const routed = definition.States.ActOnDueCheck.Choices.map((choice: { StringEquals?: string }) => choice.StringEquals);
    for (const action of CHECK_ACTIONS) expect(routed, action).toContain(action);
    const waits = Object.values(definition.States).filter((state) => state.Type === 'Wait');
    expect(waits.length).toBe(3);
    for (const wait of waits) {
      expect(wait.TimestampPath).toBe('$.plan.wakeAt');
      expect(wait.Next).toBe('ActOnDueCheck');
    }
  });

  it('every act returns the next plan, so a deadline costs one task and one read', () => {
    const acts = Object.values(definition.States).filter((state) => state.Type === 'Task' && state.Parameters.FunctionName.includes('act-on-deadline'));
    expect(acts.length).toBe(7);
    for (const state of acts) {
      expect(state.ResultPath).toBe('$.plan');
      expect(state.Next).toBe('RouteByPhase');
    }
  });
});
