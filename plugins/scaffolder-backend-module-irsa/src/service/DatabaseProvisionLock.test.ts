import { TestDatabases } from '@backstage/backend-test-utils';
import type { DatabaseService } from '@backstage/backend-plugin-api';
import type { Knex } from 'knex';
import { DatabaseProvisionLock } from './DatabaseProvisionLock';

const databases = TestDatabases.create({ ids: ['SQLITE_3', 'POSTGRES_15'] });

const databaseOf = (knex: Knex): DatabaseService => ({
  getClient: async () => knex,
  migrations: { skip: false },
});

describe('DatabaseProvisionLock', () => {
  it.each(databases.eachSupportedId())(
    'two replicas on one %p database: the second waits, then is refused with the holder named',
    async id => {
      const knex = await databases.init(id);
      // Two backends, each with its own lock object over the shared database.
      const replicaA = await DatabaseProvisionLock.create({
        database: databaseOf(knex),
      });
      const replicaB = await DatabaseProvisionLock.create({
        database: databaseOf(knex),
      });
      const keys = ['serviceaccount:sandbox/shop/cart', 'role:111122223333/r'];
      const held = await replicaA.acquire(keys, {
        holder: 'scaffolder task A',
        waitMs: 0,
      });
      await expect(
        replicaB.acquire([...keys].reverse(), {
          holder: 'scaffolder task B',
          waitMs: 200,
        }),
      ).rejects.toThrow(
        'another provisioning run (scaffolder task A) is working on role:111122223333/r; waited 0 s. Try again when it has finished',
      );
      // B took nothing while failing.
      expect(
        (await knex('irsa_provision_locks').select('holder')).map(
          r => r.holder,
        ),
      ).toEqual(['scaffolder task A', 'scaffolder task A']);

      const waiting = replicaB.acquire(keys, {
        holder: 'scaffolder task B',
        waitMs: 5_000,
      });
      await held.release();
      const second = await waiting;
      expect(
        (await knex('irsa_provision_locks').select('holder')).map(
          r => r.holder,
        ),
      ).toEqual(['scaffolder task B', 'scaffolder task B']);
      await second.release();
      expect(
        Number((await knex('irsa_provision_locks').count({ n: '*' }))[0].n),
      ).toBe(0);
    },
  );

  it.each(databases.eachSupportedId())(
    'a lock left by a replica that died expires on %p',
    async id => {
      const knex = await databases.init(id);
      const dead = await DatabaseProvisionLock.create({
        database: databaseOf(knex),
        ttlMs: 1,
      });
      await dead.acquire(['serviceaccount:sandbox/shop/cart'], {
        holder: 'a replica that died',
        waitMs: 0,
      });
      await new Promise(resolve => setTimeout(resolve, 20));
      const alive = await DatabaseProvisionLock.create({
        database: databaseOf(knex),
      });
      const held = await alive.acquire(['serviceaccount:sandbox/shop/cart'], {
        holder: 'task 2',
        waitMs: 0,
      });
      expect(
        (await knex('irsa_provision_locks').select('holder')).map(
          r => r.holder,
        ),
      ).toEqual(['task 2']);
      await held.release();
    },
  );

  it.each(databases.eachSupportedId())(
    "keeps its migrations apart from the scaffolder's on %p, and they roll back",
    async id => {
      const knex = await databases.init(id);
      await DatabaseProvisionLock.create({ database: databaseOf(knex) });
      expect(
        await knex.schema.hasTable('irsa_scaffolder_knex_migrations'),
      ).toBe(true);
      expect(await knex.schema.hasTable('knex_migrations')).toBe(false);
      await knex.migrate.rollback(
        {
          directory: `${__dirname}/../../migrations`,
          tableName: 'irsa_scaffolder_knex_migrations',
        },
        true,
      );
      expect(await knex.schema.hasTable('irsa_provision_locks')).toBe(false);
    },
  );
});
