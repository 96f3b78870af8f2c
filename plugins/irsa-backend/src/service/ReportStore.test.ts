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
      const knex = await databases.init(id);
      const store = await storeOn(knex);
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
        failingChecks: ['role'],
      });
      expect(history[1].failingChecks).toEqual([]);
      // Only the newest row of an entity keeps the full report.
      const rows = await knex('irsa_reports')
        .select('entity_ref')
        .whereNotNull('report')
        .orderBy('entity_ref');
      expect(rows).toEqual([
        { entity_ref: 'component:default/other' },
        { entity_ref: 'component:default/payments-api' },
      ]);
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
      expect(await knex.schema.hasTable('irsa_verification_claims')).toBe(true);
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
      expect(await knex.schema.hasTable('irsa_verification_claims')).toBe(
        false,
      );
    },
  );

  it.each(databases.eachSupportedId())(
    'turns existing history into summaries and back on %p',
    async id => {
      const knex = await databases.init(id);
      const directory = resolvePackagePath(
        '@backstage-irsa/plugin-irsa-backend',
        'migrations',
      );
      await knex.migrate.up({ directory, name: '20261124000000_reports.js' });
      for (const [verifiedAt, ref] of [
        ['2026-11-24T10:00:00.000Z', 'component:default/a'],
        ['2026-11-24T10:01:00.000Z', 'component:default/a'],
        ['2026-11-24T10:02:00.000Z', 'component:default/b'],
      ]) {
        await knex('irsa_reports').insert({
          entity_ref: ref,
          status: 'pass',
          trigger: 'manual',
          verified_at: new Date(verifiedAt),
          duration_ms: 12,
          counts: '{}',
          report: JSON.stringify(report(verifiedAt)),
        });
      }
      await knex.migrate.up({
        directory,
        name: '20261127000000_report_summaries.js',
      });
      const full = async () =>
        (
          await knex('irsa_reports')
            .select('entity_ref', 'verified_at')
            .whereNotNull('report')
            .orderBy('id')
        ).map(r => [r.entity_ref, new Date(r.verified_at).toISOString()]);
      expect(await full()).toEqual([
        ['component:default/a', '2026-11-24T10:01:00.000Z'],
        ['component:default/b', '2026-11-24T10:02:00.000Z'],
      ]);
      const store = new DatabaseReportStore(knex, 3);
      expect(
        (await store.history('component:default/a', 5)).map(
          h => h.failingChecks,
        ),
      ).toEqual([[], []]);

      await knex.migrate.down({
        directory,
        name: '20261127000000_report_summaries.js',
      });
      expect(await knex('irsa_reports').count({ n: '*' })).toEqual([
        { n: id === 'SQLITE_3' ? 2 : '2' },
      ]);
      await expect(
        knex('irsa_reports').insert({
          entity_ref: 'component:default/c',
          status: 'pass',
          trigger: 'manual',
          verified_at: new Date(),
          duration_ms: 1,
          counts: '{}',
          report: null,
        }),
      ).rejects.toThrow(/not.null/i);
    },
  );

  it.each(databases.eachSupportedId())(
    'purges reports verified before the cutoff, the latest included, on %p',
    async id => {
      const store = await storeOn(await databases.init(id), 10);
      await store.add(
        'component:default/old',
        report('2026-10-01T00:00:00.000Z'),
      );
      await store.add(
        'component:default/mixed',
        report('2026-10-02T00:00:00.000Z'),
      );
      await store.add(
        'component:default/mixed',
        report('2026-11-20T00:00:00.000Z', 'fail'),
      );

      const purged = await store.purgeOlderThan(
        new Date('2026-10-28T00:00:00.000Z'),
      );

      expect(purged).toBe(2);
      expect(await store.latest('component:default/old')).toBeUndefined();
      expect(
        (await store.history('component:default/mixed', 10)).map(
          h => h.verifiedAt,
        ),
      ).toEqual(['2026-11-20T00:00:00.000Z']);
      expect((await store.latest('component:default/mixed'))?.status).toBe(
        'fail',
      );
    },
  );
  it.each(databases.eachSupportedId())(
    "answers every entity's newest summary and its failing reports on %p",
    async id => {
      const store = await storeOn(await databases.init(id), 10);
      await store.add(
        'Component:default/A',
        report('2026-11-01T00:00:00.000Z'),
      );
      await store.add(
        'Component:default/A',
        report('2026-11-02T00:00:00.000Z', 'fail'),
      );
      await store.add(
        'component:default/b',
        report('2026-11-03T00:00:00.000Z'),
      );

      expect(await store.latestSummaries()).toEqual(
        new Map([
          [
            'component:default/a',
            {
              status: 'fail',
              failingChecks: ['role'],
              verifiedAt: new Date('2026-11-02T00:00:00.000Z'),
            },
          ],
          [
            'component:default/b',
            {
              status: 'pass',
              failingChecks: [],
              verifiedAt: new Date('2026-11-03T00:00:00.000Z'),
            },
          ],
        ]),
      );
      expect(await store.latestReportsWithStatus(['fail'])).toEqual([
        {
          entityKey: 'component:default/a',
          report: report('2026-11-02T00:00:00.000Z', 'fail'),
        },
      ]);
      expect(await store.latestReportsWithStatus([])).toEqual([]);
    },
  );

  it.each(databases.eachSupportedId())(
    "keeps the newest summaries in memory: its own reports at once, another replica's once the max age has passed, on %p",
    async id => {
      const knex = await databases.init(id);
      let now = Date.parse('2026-11-28T10:00:00.000Z');
      const clock = { summariesMaxAgeMs: 5_000, now: () => now };
      await storeOn(knex);
      const mine = new DatabaseReportStore(knex, 10, clock);
      const other = new DatabaseReportStore(knex, 10, clock);
      const keys = async () =>
        [...(await mine.latestSummaries()).keys()].sort();

      await mine.add('component:default/a', report('2026-11-28T09:00:00.000Z'));
      await other.add(
        'component:default/b',
        report('2026-11-28T09:01:00.000Z', 'fail'),
      );
      // The first read queries the database: both are there.
      expect(await keys()).toEqual([
        'component:default/a',
        'component:default/b',
      ]);

      await other.add('component:default/c', {
        ...report('2026-11-28T09:02:00.000Z'),
        mechanism: 'pod-identity',
      });
      await mine.add('component:default/d', {
        ...report('2026-11-28T09:03:00.000Z', 'fail'),
        mechanism: 'irsa',
      });
      // Its own report shows at once, the other replica's not yet.
      expect(await keys()).toEqual([
        'component:default/a',
        'component:default/b',
        'component:default/d',
      ]);
      now += 5_000;
      const summaries = await mine.latestSummaries();
      expect([...summaries.keys()].sort()).toEqual([
        'component:default/a',
        'component:default/b',
        'component:default/c',
        'component:default/d',
      ]);
      // The mechanism is read from its own column, as stored.
      expect(summaries.get('component:default/c')).toEqual({
        status: 'pass',
        failingChecks: [],
        verifiedAt: new Date('2026-11-28T09:02:00.000Z'),
        mechanism: 'pod-identity',
      });
      expect(summaries.get('component:default/d')?.mechanism).toBe('irsa');
      expect(summaries.get('component:default/a')).toEqual({
        status: 'pass',
        failingChecks: [],
        verifiedAt: new Date('2026-11-28T09:00:00.000Z'),
      });

      // A purge that removes an entity's every report removes its summary.
      expect(
        await mine.purgeOlderThan(new Date('2026-11-28T09:00:30.000Z')),
      ).toBe(1);
      expect(await keys()).toEqual([
        'component:default/b',
        'component:default/c',
        'component:default/d',
      ]);
    },
  );

  it.each(databases.eachSupportedId())(
    'answers a burst of summary reads with one query on %p',
    async id => {
      const knex = await databases.init(id);
      const store = await storeOn(knex);
      await store.add(
        'component:default/a',
        report('2026-11-28T09:00:00.000Z'),
      );
      const queries: string[] = [];
      const onQuery = (q: { sql: string }) => queries.push(q.sql);
      knex.on('query', onQuery);
      try {
        const answers = await Promise.all(
          Array.from({ length: 5 }, () => store.latestSummaries()),
        );
        expect(new Set(answers).size).toBe(1);
        expect(queries.filter(q => q.includes('irsa_reports'))).toHaveLength(1);
      } finally {
        knex.removeListener('query', onQuery);
      }
    },
  );
});
