import type { JsonValue } from '@backstage/types';

/**
 * Runs one side effect; the scaffolder passes ctx.checkpoint so retries skip
 * done steps. A step's result is stored as JSON.
 */
export type StepRunner = <T extends JsonValue | void>(
  key: string,
  fn: () => Promise<T>,
) => Promise<T>;

/** Thrown inside a probe step so the checkpoint is not recorded as done. */
class OpenGeneration extends Error {}

/** At most this many rolled-back attempts of one task are looked for. */
const MAX_GENERATIONS = 50;

/** What a failed run undid, and what it could not undo. */
export interface RollbackOutcome {
  rolledBack: string[];
  /** One entry per resource left behind, naming its ARN and why. */
  leftBehind: string[];
}

/** Thrown when apply fails: the step that failed and what was undone. */
export class ProvisionError extends Error {
  name = 'ProvisionError';
  constructor(
    readonly step: string,
    readonly cause: Error,
    readonly rolledBack: string[],
    readonly leftBehind: string[],
  ) {
    super(
      `${step} failed: ${cause.message}. ${rolledBack.length ? `Rolled back: ${rolledBack.join(', ')}.` : 'Nothing to roll back.'}${leftBehind.length ? ` Could not roll back: ${leftBehind.join('; ')}.` : ''}`,
    );
  }
}

/**
 * One apply attempt: runs steps through the caller's checkpoints, remembers
 * how to undo each change, and rolls back on failure.
 *
 * Checkpoints replay a step that succeeded in an earlier attempt of the same
 * task. After a rollback that replay would be wrong (the role it "created"
 * is gone), so every step key carries the attempt's generation, and a
 * rollback closes its generation with a marker checkpoint. A retried task
 * probes the markers to find the first open generation and runs its steps
 * afresh.
 */
export class ApplyRun {
  private readonly undo: Array<{ what: string; fn: () => Promise<unknown> }> =
    [];
  /** The step started last. */
  private current = 'preparing';
  // Which step threw which error: parallel steps overlap, so "the step
  // started last" is not necessarily the one that failed.
  private readonly failedSteps = new WeakMap<object, string>();

  private constructor(
    private readonly step: StepRunner,
    private readonly scope: string,
    private readonly generation: number,
  ) {}

  /** Starts an attempt in the first generation no earlier attempt rolled back. */
  static async start(step: StepRunner, scope: string): Promise<ApplyRun> {
    for (let generation = 0; generation < MAX_GENERATIONS; generation++) {
      try {
        await step(`${scope}:rolled-back:g${generation}`, async () => {
          throw new OpenGeneration();
        });
      } catch (error) {
        if (error instanceof OpenGeneration)
          return new ApplyRun(step, scope, generation);
        throw error;
      }
    }
    throw new Error(
      `${scope} was rolled back ${MAX_GENERATIONS} times in this task; start a new task`,
    );
  }

  /** Runs a named step once per generation. */
  async run<T extends JsonValue | void>(
    name: string,
    key: string,
    fn: () => Promise<T>,
  ): Promise<T> {
    this.current = name;
    try {
      return await this.step(`${this.scope}:g${this.generation}:${key}`, fn);
    } catch (error) {
      if (typeof error === 'object' && error !== null)
        this.failedSteps.set(error, name);
      throw error;
    }
  }

  /** The step that threw this error, else the step started last. */
  stepOf(error: unknown): string {
    return (
      (typeof error === 'object' && error !== null
        ? this.failedSteps.get(error)
        : undefined) ?? this.current
    );
  }

  /** Registers how to undo a change that has just succeeded. */
  onRollback(what: string, fn: () => Promise<unknown>) {
    this.undo.push({ what, fn });
  }

  /**
   * Runs independent steps together and waits for every one of them, so a
   * failing sibling never leaves another's change unrecorded; then throws
   * the first failure.
   */
  async all(tasks: Array<Promise<unknown> | undefined>): Promise<void> {
    const outcomes = await Promise.allSettled(tasks);
    const failure = outcomes.find(
      (o): o is PromiseRejectedResult => o.status === 'rejected',
    );
    if (failure) throw failure.reason;
  }

  /** Undoes every recorded change, newest first, and closes the generation. */
  async rollback(): Promise<RollbackOutcome> {
    const outcome: RollbackOutcome = { rolledBack: [], leftBehind: [] };
    for (const { what, fn } of [...this.undo].reverse()) {
      try {
        await fn();
        outcome.rolledBack.push(what);
      } catch (error) {
        outcome.leftBehind.push(`${what} (${(error as Error).message})`);
      }
    }
    this.undo.length = 0;
    await this.step(
      `${this.scope}:rolled-back:g${this.generation}`,
      async () => 'rolled-back',
    );
    return outcome;
  }
}
