import { ConflictError } from '@backstage/errors';
import { setTimeout as sleep } from 'node:timers/promises';

/** A held lock; release it when the run ends, however it ends. */
export interface HeldLock {
  release(): Promise<void>;
}

/**
 * Serialises provisioning runs that touch the same ServiceAccount or role.
 * The scaffolder module backs it with its database so it holds across
 * backend replicas.
 */
export interface ProvisionLock {
  /**
   * Takes every key, waiting up to `waitMs` for another holder, or throws
   * ConflictError naming the holder of the key it could not get.
   */
  acquire(
    keys: string[],
    options: { holder: string; waitMs: number },
  ): Promise<HeldLock>;
}

/** The ConflictError every lock implementation throws after waiting in vain. */
export function lockTimeoutError(key: string, holder: string, waitMs: number) {
  return new ConflictError(
    `another provisioning run (${holder}) is working on ${key}; waited ${Math.round(waitMs / 1000)} s. Try again when it has finished`,
  );
}

/** Polls `tryTake` until it succeeds or `waitMs` has passed. */
export async function waitForLock(
  key: string,
  waitMs: number,
  tryTake: () => Promise<string | undefined>,
): Promise<void> {
  const deadline = Date.now() + waitMs;
  for (let delay = 50; ; delay = Math.min(delay * 2, 1000)) {
    const holder = await tryTake();
    if (holder === undefined) return;
    if (Date.now() + delay > deadline)
      throw lockTimeoutError(key, holder, waitMs);
    await sleep(delay);
  }
}

/** A lock for one process: what a library user gets without a database. */
export class InMemoryProvisionLock implements ProvisionLock {
  private readonly holders = new Map<string, string>();

  async acquire(
    keys: string[],
    options: { holder: string; waitMs: number },
  ): Promise<HeldLock> {
    const taken: string[] = [];
    try {
      // Sorted, so two runs wanting the same keys cannot deadlock.
      for (const key of [...new Set(keys)].sort()) {
        await waitForLock(key, options.waitMs, async () => {
          const holder = this.holders.get(key);
          if (holder !== undefined) return holder;
          this.holders.set(key, options.holder);
          return undefined;
        });
        taken.push(key);
      }
    } catch (error) {
      taken.forEach(key => this.holders.delete(key));
      throw error;
    }
    return {
      release: async () => taken.forEach(key => this.holders.delete(key)),
    };
  }
}
