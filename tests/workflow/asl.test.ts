import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { CHECK_ACTIONS } from '../../functions/domain/deadline-checks';
import { WAIT_BEFORE_RETRYING } from '../../functions/usecases/deadlines';
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

  const ROUTER = 'RouteToNextCheck';
  const router = () => definition.States[ROUTER] as { Type: string; Choices: { Variable: string; StringEquals: string; Next: string }[]; Default: string };
  const actionBranches = () => router().Choices.filter((choice) => choice.Variable === '$.plan.next' && choice.StringEquals !== 'stop' && choice.StringEquals !== WAIT_BEFORE_RETRYING);
  const isActTask = (name: string) => definition.States[name]?.Type === 'Task' && definition.States[name].Parameters.FunctionName.includes('act-on-deadline');

  it('stops first: a newer generation, a paused clock or nothing pending end the execution before any Wait', () => {
    expect(router().Type).toBe('Choice');
    expect(router().Choices.slice(0, 3)).toEqual([
      { Variable: '$.plan.phase', StringEquals: 'superseded', Next: 'SupersededByNewerGeneration' },
      { Variable: '$.plan.phase', StringEquals: 'paused', Next: 'ClockPaused' },
      { Variable: '$.plan.next', StringEquals: 'stop', Next: 'NothingPending' },
    ]);
  });

  it('sends a re-armed execution that must back off to a Wait on the case\'s instant, then to planning again', () => {
    const branch = router().Choices.find((choice) => choice.StringEquals === WAIT_BEFORE_RETRYING)!;
    expect(branch).toEqual({ Variable: '$.plan.next', StringEquals: WAIT_BEFORE_RETRYING, Next: 'WaitBeforeResumingAfterFailure' });
    expect(definition.States[branch.Next]).toMatchObject({ Type: 'Wait', TimestampPath: '$.plan.wakeAt', Next: 'ReviewDeadlines' });
  });

  it('has one branch for every action the rules can ask for, and none for an action they do not know', () => {
    const routed = actionBranches().map((choice) => choice.StringEquals);
    for (const action of CHECK_ACTIONS) expect(routed, `${action} has a branch in ${ROUTER}`).toContain(action);
    for (const action of routed) expect(CHECK_ACTIONS as readonly string[], `${ROUTER} routes ${action}, which is no CheckAction`).toContain(action);
    expect(new Set(routed).size, 'one branch per action').toBe(routed.length);
    expect(router().Choices.length).toBe(4 + CHECK_ACTIONS.length);
  });

  it('sends each action straight to a Wait named for it, which leads to the act on that check', () => {
    for (const branch of actionBranches()) {
      const wait = definition.States[branch.Next];
      expect(wait?.Type, `${branch.StringEquals} → ${branch.Next}`).toBe('Wait');
      expect(isActTask(wait.Next), `${branch.Next} → ${wait.Next}`).toBe(true);
    }
    const waitsUsed = actionBranches().map((branch) => branch.Next);
    expect(new Set(waitsUsed).size, 'each action has a Wait of its own').toBe(waitsUsed.length);
  });

  it('sleeps only in Wait states reading the planned instant, each leading to a Task', () => {
    const waits = Object.entries(definition.States).filter(([, state]) => state.Type === 'Wait');
    expect(waits.length).toBe(CHECK_ACTIONS.length + 2); // + the fallback and the backoff after a failure
    for (const [name, wait] of waits) {
      expect(wait.TimestampPath, name).toBe('$.plan.wakeAt');
      expect(definition.States[wait.Next]?.Type, `${name} → ${wait.Next}`).toBe('Task');
    }
  });

  it('sleeps, then plans again from the case, on a check it has no branch for', () => {
    const fallback = definition.States[router().Default];
    expect(fallback.Type).toBe('Wait');
    expect(fallback.Next).toBe('ReviewDeadlines');
  });

  it('every act returns the next plan, so a deadline costs three transitions: Wait, act, route', () => {
    const acts = Object.entries(definition.States).filter(([name]) => isActTask(name));
    expect(acts.length).toBe(12);
    for (const [name, state] of acts) {
      expect(state.ResultPath, name).toBe('$.plan');
      expect(state.Next, name).toBe(ROUTER);
    }
    expect(definition.States.ReviewDeadlines.Next).toBe(ROUTER);
  });

  it('reaches every state from StartAt', () => {
    const seen = new Set<string>();
    const visit = (name: string) => {
      if (seen.has(name)) return;
      seen.add(name);
      const state = definition.States[name];
      const targets = [state.Next, state.Default, ...(state.Choices ?? []).map((c: { Next: string }) => c.Next), ...(state.Catch ?? []).map((c: { Next: string }) => c.Next)];
      for (const target of targets) if (target) visit(target);
    };
    visit(definition.StartAt);
    expect([...seen].sort()).toEqual(Object.keys(definition.States).sort());
  });
});
