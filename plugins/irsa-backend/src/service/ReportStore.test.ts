import { resolvePackagePath } from '@backstage/backend-plugin-api';
import { TestDatabases } from '@backstage/backend-test-utils';
import type { VerificationReport } from '@backstage-irsa/plugin-irsa-common';
import type { Knex } from 'knex';
import { DatabaseReportStore, migrateReportStore } from './ReportStore';

const databases = TestDatabases.create({ ids: ['SQLITE_3', 'POSTGRES_15'] });

const report = (
  verifiedAt: string,
  status: VerificationReport['status'] = 'pass',
): VerificationReport => ({
  entityRef: 'component:default/payments-api',
  cluster: 'sandbox',
  namespace: 'payments',
  serviceAccount: 'payments-api',
  policies: [],
  allowlist: [],
  checks: [
    {
      id: 'role',
      status: status === 'pass' ? 'pass' : 'fail',
      message: 'm',
      evidence: {},
      durationMs: 1,
    },
  ],
  status,
  verifiedAt,
  durationMs: 12,
  trigger: 'manual',
});

async function storeOn(knex: Knex, historyLimit = 3) {
  await migrateReportStore({
    getClient: async () => knex,
    migrations: { skip: false },
  } as any);
  return new DatabaseReportStore(knex, historyLimit);
}

describe('DatabaseReportStore', () => {
  it('runs on PostgreSQL 15 here, not only SQLite (npm test sets the connection string)', () => {
    expect(databases.supports('POSTGRES_15')).toBe(true);
  });

  it.each(databases.eachSupportedId())(
    'keeps the latest report and a capped history on %p',
    async id => {
      const store = await storeOn(await databases.init(id));
      expect(
        await store.latest('component:default/payments-api'),
      ).toBeUndefined();
      for (let i = 0; i < 5; i++) {
        await store.add(
          'component:default/payments-api',
          report(`2026-11-24T10:0${i}:00.000Z`, i === 4 ? 'fail' : 'pass'),
        );
      }
      await store.add(
        'component:default/other',
        report('2026-11-24T09:00:00.000Z'),
      );

      const latest = await store.latest('Component:default/Payments-API');
      expect(latest?.verifiedAt).toBe('2026-11-24T10:04:00.000Z');
      expect(latest?.status).toBe('fail');
      const history = await store.history('component:default/payments-api', 10);
      expect(history.map(h => [h.verifiedAt, h.status])).toEqual([
        ['2026-11-24T10:04:00.000Z', 'fail'],
        ['2026-11-24T10:03:00.000Z', 'pass'],
        ['2026-11-24T10:02:00.000Z', 'pass'],
      ]);
      expect(history[0]).toEqual({
        status: 'fail',
        trigger: 'manual',
        verifiedAt: '2026-11-24T10:04:00.000Z',
        durationMs: 12,
        counts: { pass: 0, warn: 0, fail: 1, unknown: 0, skipped: 0 },
      });
      expect(
        await store.history('component:default/payments-api', 1),
      ).toHaveLength(1);

      const last = await store.lastVerified([
        'component:default/payments-api',
        'component:default/other',
        'component:default/never',
      ]);
      expect(
        [...last.entries()].map(([k, v]) => [k, v.toISOString()]).sort(),
      ).toEqual([
        ['component:default/other', '2026-11-24T09:00:00.000Z'],
        ['component:default/payments-api', '2026-11-24T10:04:00.000Z'],
      ]);
    },
  );

  it.each(databases.eachSupportedId())(
    'migrates down cleanly on %p',
    async id => {
      const knex = await databases.init(id);
      await storeOn(knex);
      expect(await knex.schema.hasTable('irsa_reports')).toBe(true);
      await knex.migrate.rollback(
        {
          directory: resolvePackagePath(
            '@backstage-irsa/plugin-irsa-backend',
            'migrations',
          ),
        },
        true,
      );
      expect(await knex.schema.hasTable('irsa_reports')).toBe(false);
    },
  );
});
