import type { CfnTemplate } from './synth';

/**
 * The state machine as deployed (the template's DefinitionString with its substitutions
 * resolved), read just far enough to build the payload each Lambda task state sends and to
 * follow the path from one task to the next: Choice rules on strings, Wait states passed at
 * once, lambda:invoke results through ResultSelector and ResultPath, Catch into the failure
 * path. Anything else in the definition is refused by name rather than guessed.
 */

interface State {
  Type: string;
  Next?: string;
  End?: boolean;
  Resource?: string;
  Parameters?: Record<string, unknown>;
  ResultSelector?: Record<string, unknown>;
  ResultPath?: string | null;
  Choices?: { Variable?: string; StringEquals?: string; Next: string; [key: string]: unknown }[];
  Default?: string;
  TimestampPath?: string;
  Catch?: { ErrorEquals: string[]; ResultPath?: string | null; Next: string }[];
}

export interface Definition {
  StartAt: string;
  States: Record<string, State>;
}

export type StateInput = Record<string, unknown>;

export interface TaskCall {
  state: string;
  /** The function ARN the state invokes (as the functions' own ARNs resolve locally). */
  functionArn: string;
  payload: unknown;
}

/** The deployed definition, substitutions and all, resolved to local ARNs. */
export function deployedDefinition(template: CfnTemplate, resolve: (value: unknown) => unknown): { definition: Definition; stateMachineLogicalId: string } {
  const machines = Object.entries(template.Resources).filter(([, resource]) => resource.Type === 'AWS::StepFunctions::StateMachine');
  if (machines.length !== 1) throw new Error(`expected one state machine in the template, found ${machines.length}`);
  const [stateMachineLogicalId, machine] = machines[0]!;
  let text = String(resolve(machine.Properties!.DefinitionString));
  const substitutions = resolve(machine.Properties!.DefinitionSubstitutions ?? {}) as Record<string, string>;
  for (const [name, value] of Object.entries(substitutions)) text = text.replaceAll(`\${${name}}`, value);
  const left = /\$\{(\w+)\}/.exec(text);
  if (left) throw new Error(`the definition still holds \${${left[1]}}: no DefinitionSubstitution for it`);
  return { definition: JSON.parse(text) as Definition, stateMachineLogicalId };
}

export class Workflow {
  constructor(private readonly definition: Definition) {}

  private state(name: string): State {
    const state = this.definition.States[name];
    if (!state) throw new Error(`the definition has no state ${name}`);
    return state;
  }

  get startAt() {
    return this.definition.StartAt;
  }

  /** What a Lambda task state sends: its Parameters applied to its input. */
  taskCall(name: string, input: StateInput): TaskCall {
    const state = this.state(name);
    if (state.Type !== 'Task' || state.Resource !== 'arn:aws:states:::lambda:invoke') throw new Error(`${name} is not a lambda:invoke Task state`);
    const parameters = applyParameters(state.Parameters ?? {}, input) as { FunctionName?: string; Payload?: unknown };
    if (typeof parameters.FunctionName !== 'string') throw new Error(`${name} names no FunctionName`);
    return { state: name, functionArn: parameters.FunctionName, payload: parameters.Payload ?? input };
  }

  /** The state's output once the function answered: lambda:invoke's result through ResultSelector and ResultPath. */
  afterTask(name: string, input: StateInput, answer: unknown): { output: StateInput; next: string } {
    const state = this.state(name);
    const raw = { Payload: answer, StatusCode: 200, ExecutedVersion: '$LATEST' };
    const selected = state.ResultSelector ? applyParameters(state.ResultSelector, raw) : raw;
    return { output: placeAt(input, state.ResultPath, selected), next: nextOf(name, state) };
  }

  /** Where a failing task goes: its Catch for States.ALL (or the error), with the error placed at its ResultPath. */
  afterFailure(name: string, input: StateInput, error: { Error: string; Cause: string }): { output: StateInput; next: string } {
    const state = this.state(name);
    const handler = state.Catch?.find((candidate) => candidate.ErrorEquals.includes(error.Error) || candidate.ErrorEquals.includes('States.ALL'));
    if (!handler) throw new Error(`${name} catches no ${error.Error}`);
    return { output: placeAt(input, handler.ResultPath, error), next: handler.Next };
  }

  /**
   * From a state to the next Task (or the end): Choice rules evaluated, Wait states passed
   * (their timestamp reported, for the caller to hold against the clock).
   */
  route(from: string, input: StateInput): { task?: string; end?: string; waits: { state: string; until?: string }[] } {
    const waits: { state: string; until?: string }[] = [];
    let name = from;
    for (let hops = 0; hops < 50; hops++) {
      const state = this.state(name);
      switch (state.Type) {
        case 'Task':
          return { task: name, waits };
        case 'Succeed':
        case 'Fail':
          return { end: name, waits };
        case 'Wait':
          waits.push({ state: name, ...(state.TimestampPath && { until: String(readPath(input, state.TimestampPath)) }) });
          name = nextOf(name, state);
          break;
        case 'Choice': {
          const chosen = (state.Choices ?? []).find((rule) => {
            const operators = Object.keys(rule).filter((key) => key !== 'Variable' && key !== 'Next' && key !== 'Comment');
            if (operators.length !== 1 || operators[0] !== 'StringEquals' || !rule.Variable) throw new Error(`${name}: the tier follows Variable + StringEquals rules only (found ${operators.join(', ')})`);
            return readPath(input, rule.Variable) === rule.StringEquals;
          });
          const next = chosen?.Next ?? state.Default;
          if (!next) throw new Error(`${name}: no rule matched and there is no Default`);
          name = next;
          break;
        }
        case 'Pass':
          name = nextOf(name, state);
          break;
        default:
          throw new Error(`${name}: the tier does not follow ${state.Type} states`);
      }
    }
    throw new Error(`no Task within 50 states of ${from}`);
  }
}

function nextOf(name: string, state: State): string {
  if (!state.Next) throw new Error(`${name} has no Next`);
  return state.Next;
}

/** Parameters/ResultSelector: keys ending in ".$" take the value at a path of the input. */
function applyParameters(template: unknown, input: unknown): unknown {
  if (Array.isArray(template)) return template.map((item) => applyParameters(item, input));
  if (template && typeof template === 'object') {
    return Object.fromEntries(
      Object.entries(template).map(([key, value]) => (key.endsWith('.$') ? [key.slice(0, -2), readPath(input, String(value))] : [key, applyParameters(value, input)])),
    );
  }
  return template;
}

/** JSONPath as the definition uses it: `$` and `$.a.b`. */
function segments(path: string): string[] {
  if (path === '$') return [];
  if (!/^\$(\.[A-Za-z_][\w-]*)+$/.test(path)) throw new Error(`JSONPath ${path} is beyond what tests/artifacts/workflow.ts reads ($.a.b)`);
  return path.slice(2).split('.');
}

function readPath(input: unknown, path: string): unknown {
  let value = input;
  for (const segment of segments(path)) {
    if (!value || typeof value !== 'object' || !(segment in value)) throw new Error(`States.Runtime: the path ${path} matches nothing in the state's input`);
    value = (value as Record<string, unknown>)[segment];
  }
  return value;
}

function placeAt(input: StateInput, resultPath: string | null | undefined, value: unknown): StateInput {
  if (resultPath === null) return input;
  const path = segments(resultPath ?? '$');
  if (path.length === 0) return value as StateInput;
  const output = structuredClone(input);
  let cursor: Record<string, unknown> = output;
  for (const segment of path.slice(0, -1)) {
    cursor[segment] = cursor[segment] && typeof cursor[segment] === 'object' ? cursor[segment] : {};
    cursor = cursor[segment] as Record<string, unknown>;
  }
  cursor[path.at(-1)!] = value;
  return output;
}
