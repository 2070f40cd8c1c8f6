import { AsyncLocalStorage } from 'node:async_hooks';

/**
 * Which function a piece of local work runs as. On AWS every handler runs in a Lambda of its
 * own; locally they share one process, so the local stack marks each invocation (an API
 * request, a workflow task, a stream batch, a scheduled run) with the function it stands for.
 * What only AWS would do to that function (a timeout mid-way, its IAM policy) reads it here.
 */
export interface Invocation {
  functionName: string;
  /** Set when this invocation is to die mid-way, as a Lambda timeout would (the fault switch). */
  crash?: Crash;
}

/** An invocation doomed to die once its first effect has landed: `fire` ends it, and `died` rejects with the timeout. */
export interface Crash {
  fire(): void;
  readonly fired: boolean;
  readonly died: Promise<never>;
}

const current = new AsyncLocalStorage<Invocation>();

export const currentInvocation = () => current.getStore();

export type Handler<E = unknown, R = unknown> = (event: E, context: never) => Promise<R>;

/** Runs a handler as one invocation of `functionName`; a doomed one rejects as soon as its crash fires. */
export function invokeLocal<E, R>(functionName: string, handler: Handler<E, R>, event: E, context: unknown, crash?: Crash): Promise<R> {
  return current.run({ functionName, ...(crash && { crash }) }, () => {
    const result = handler(event, context as never);
    return crash ? Promise.race([result, crash.died]) : result;
  });
}

/** A Crash that has not fired yet. */
export function newCrash(functionName: string): Crash {
  let reject!: (error: Error) => void;
  const died = new Promise<never>((_, fail) => (reject = fail));
  died.catch(() => undefined);
  let fired = false;
  return {
    get fired() {
      return fired;
    },
    died,
    fire() {
      if (fired) return;
      fired = true;
      const error = new Error(`${functionName} timed out (the local fault switch stopped it after its first effect)`);
      error.name = 'Sandbox.Timedout';
      reject(error);
    },
  };
}
