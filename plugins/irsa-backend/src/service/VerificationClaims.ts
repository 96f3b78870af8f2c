import { randomUUID } from 'node:crypto';
import type { Knex } from 'knex';
import { entityKey } from './ReportStore';

const TABLE = 'irsa_verification_claims';

/** Why a claim was refused, and when to try again. */
export type ClaimRefusal =
  | { reason: 'running'; leaseUntil: Date }
  | { reason: 'cooldown'; availableAt: Date };

/** The outcome of a claim: a token to finish with, or a refusal. */
export type ClaimResult =
  { claimed: true; token: string } | ({ claimed: false } & ClaimRefusal);

/**
 * Who may verify an entity now, decided by the plugin's database so that it
 * holds across concurrent requests and backend replicas.
 */
export interface VerificationClaims {
  /**
   * Claims the entity for one run until `leaseMs` from now. Refused while
   * another run holds an unexpired lease, or (with `cooldownMs`) while the
   * last run finished less than that ago.
   */
  claim(
    entityRef: string,
    options: { now: Date; leaseMs: number; cooldownMs?: number },
  ): Promise<ClaimResult>;
  /** Ends a run; `finishedAt` (a successful run) starts the cooldown. */
  release(
    entityRef: string,
    token: string,
    options: { finishedAt?: Date },
  ): Promise<void>;
  /** Forgets entities with no run going and none finished since the cutoff. */
  purgeIdleBefore(cutoff: Date): Promise<number>;
}

/** The claims on the plugin's own database (SQLite or PostgreSQL). */
export class DatabaseVerificationClaims implements VerificationClaims {
  constructor(private readonly knex: Knex) {}

  async claim(
    entityRef: string,
    options: { now: Date; leaseMs: number; cooldownMs?: number },
  ): Promise<ClaimResult> {
    const ref = entityKey(entityRef);
    const now = options.now.getTime();
    const token = randomUUID();
    // One statement decides: insert the first claim, or take over a row whose
    // lease is over (and whose cooldown is over, when one applies). A refused
    // update leaves the row untouched, so the token read back says who won.
    await this.knex(TABLE)
      .insert({
        entity_ref: ref,
        token,
        lease_until_ms: now + options.leaseMs,
        finished_at_ms: null,
      })
      .onConflict('entity_ref')
      .merge(['token', 'lease_until_ms'])
      .where(builder => {
        builder
          .where(inner =>
            inner
              .whereNull(`${TABLE}.lease_until_ms`)
              .orWhere(`${TABLE}.lease_until_ms`, '<=', now),
          )
          .andWhere(inner => {
            inner.whereNull(`${TABLE}.finished_at_ms`);
            if (options.cooldownMs !== undefined) {
              inner.orWhere(
                `${TABLE}.finished_at_ms`,
                '<=',
                now - options.cooldownMs,
              );
            } else {
              inner.orWhereNotNull(`${TABLE}.finished_at_ms`);
            }
          });
      });
    const row = await this.knex(TABLE)
      .select('token', 'lease_until_ms', 'finished_at_ms')
      .where({ entity_ref: ref })
      .first();
    if (row?.token === token) return { claimed: true, token };
    const leaseUntil = Number(row?.lease_until_ms ?? 0);
    if (leaseUntil > now) {
      return {
        claimed: false,
        reason: 'running',
        leaseUntil: new Date(leaseUntil),
      };
    }
    return {
      claimed: false,
      reason: 'cooldown',
      availableAt: new Date(
        Number(row?.finished_at_ms ?? 0) + (options.cooldownMs ?? 0),
      ),
    };
  }

  async release(
    entityRef: string,
    token: string,
    options: { finishedAt?: Date },
  ): Promise<void> {
    await this.knex(TABLE)
      .where({ entity_ref: entityKey(entityRef), token })
      .update({
        lease_until_ms: null,
        ...(options.finishedAt
          ? { finished_at_ms: options.finishedAt.getTime() }
          : {}),
      });
  }

  async purgeIdleBefore(cutoff: Date): Promise<number> {
    const ms = cutoff.getTime();
    return this.knex(TABLE)
      .where(q =>
        q.whereNull('lease_until_ms').orWhere('lease_until_ms', '<=', ms),
      )
      .andWhere(q =>
        q.whereNull('finished_at_ms').orWhere('finished_at_ms', '<', ms),
      )
      .delete();
  }
}
