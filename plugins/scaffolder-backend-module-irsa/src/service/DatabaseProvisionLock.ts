import {
  resolvePackagePath,
  type DatabaseService,
} from '@backstage/backend-plugin-api';
import {
  waitForLock,
  type HeldLock,
  type ProvisionLock,
} from '@backstage-irsa/plugin-irsa-node';
import type { Knex } from 'knex';
import { randomUUID } from 'node:crypto';

const TABLE = 'irsa_provision_locks';
const MIGRATIONS = resolvePackagePath(
  '@backstage-irsa/plugin-scaffolder-backend-module-irsa',
  'migrations',
);
// The scaffolder's database has its own migrations; ours are tracked apart.
const MIGRATIONS_TABLE = 'irsa_scaffolder_knex_migrations';

/**
 * Provisioning locks in the scaffolder's database, so they hold across
 * backend replicas. A lock expires after `ttlMs`, so a replica that died
 * mid-run blocks the ServiceAccount for at most that long.
 */
export class DatabaseProvisionLock implements ProvisionLock {
  constructor(
    private readonly knex: Knex,
    private readonly ttlMs: number = 15 * 60_000,
  ) {}

  static async create(options: {
    database: DatabaseService;
    ttlMs?: number;
  }): Promise<DatabaseProvisionLock> {
    const knex = await options.database.getClient();
    if (!options.database.migrations?.skip) {
      await knex.migrate.latest({
        directory: MIGRATIONS,
        tableName: MIGRATIONS_TABLE,
      });
    }
    return new DatabaseProvisionLock(knex, options.ttlMs);
  }

  async acquire(
    keys: string[],
    options: { holder: string; waitMs: number },
  ): Promise<HeldLock> {
    const token = randomUUID();
    const taken: string[] = [];
    const release = async () => {
      if (taken.length)
        await this.knex(TABLE)
          .whereIn('lock_key', taken)
          .andWhere('token', token)
          .delete();
    };
    try {
      // Sorted, so two runs wanting the same keys cannot deadlock.
      for (const key of [...new Set(keys)].sort()) {
        await waitForLock(key, options.waitMs, () =>
          this.tryTake(key, token, options.holder),
        );
        taken.push(key);
      }
    } catch (error) {
      await release();
      throw error;
    }
    return { release };
  }

  /** Undefined when taken; otherwise who holds it. */
  private async tryTake(
    key: string,
    token: string,
    holder: string,
  ): Promise<string | undefined> {
    const now = new Date();
    await this.knex(TABLE)
      .where('lock_key', key)
      .andWhere('expires_at', '<', now)
      .delete();
    await this.knex(TABLE)
      .insert({
        lock_key: key,
        token,
        holder: holder.slice(0, 255),
        expires_at: new Date(now.getTime() + this.ttlMs),
      })
      .onConflict('lock_key')
      .ignore();
    const row = await this.knex(TABLE)
      .where('lock_key', key)
      .first<{ token: string; holder: string } | undefined>([
        'token',
        'holder',
      ]);
    if (!row || row.token === token)
      return row ? undefined : 'a run that just finished';
    return row.holder;
  }
}
