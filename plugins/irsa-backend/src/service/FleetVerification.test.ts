import { mockServices, TestDatabases } from '@backstage/backend-test-utils';
import type { Entity } from '@backstage/catalog-model';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import {
  DefaultVerifier,
  FleetVerifier,
} from '@backstage-irsa/plugin-irsa-node';
import {
  createSandboxIrsaService,
  SANDBOX_SCENARIOS,
} from '@backstage-irsa/plugin-irsa-sandbox';
import { FleetVerification } from './FleetVerification';
import { DatabaseReportStore, migrateReportStore } from './ReportStore';
import { DatabaseVerificationClaims } from './VerificationClaims';
import { VerificationService } from './VerificationService';

const databases = TestDatabases.create({ ids: ['POSTGRES_15'] });

const entities: Entity[] = [
  ...SANDBOX_SCENARIOS.map(s => ({
    apiVersion: 'backstage.io/v1alpha1',
    kind: 'Component',
    metadata: {
      name: s.serviceAccount,
      namespace: 'default',
      annotations: {
        'irsa.dev/cluster': s.cluster,
        'irsa.dev/service-account': `${s.namespace}/${s.serviceAccount}`,
        'irsa.dev/role-arn': s.roleArn,
      },
    },
  })),
  {
    apiVersion: 'backstage.io/v1alpha1',
    kind: 'Component',
    metadata: {
      name: 'unknown-cluster',
      namespace: 'default',
      annotations: {
        'irsa.dev/cluster': 'nope',
        'irsa.dev/service-account': 'a/b',
      },
    },
  },
  {
    apiVersion: 'backstage.io/v1alpha1',
    kind: 'Component',
    metadata: { name: 'not-annotated', namespace: 'default' },
  },
];

/** One "backend replica": its own verifier and fleet task, sharing the database. */
async function replica(
  knex: any,
  options?: {
    concurrency?: number;
    intervalMs?: number;
    runTimeoutMs?: number;
    onVerify?: () => void;
    /** The ServiceAccount whose verification never ends (a replica that dies in it). */
    hang?: string;
    now?: () => number;
  },
) {
  const { service, sandbox } = await createSandboxIrsaService();
  const logger = mockServices.logger.mock();
  await migrateReportStore({
    getClient: async () => knex,
    migrations: { skip: false },
  } as any);
  const store = new DatabaseReportStore(knex, 20);
  const batched = new FleetVerifier({ service, logger });
  const verification = new VerificationService({
    verifier: new DefaultVerifier({ service, logger }),
    store,
    claims: new DatabaseVerificationClaims(knex),
    clusters: service.clusters,
    logger,
    cooldownSeconds: 30,
    now: options?.now,
  });
  const fleet = new FleetVerification({
    catalog: catalogServiceMock({ entities }),
    auth: mockServices.auth(),
    store,
    verification,
    fleet: {
      async prepare(components, context) {
        const verifier = await batched.prepare(components, context);
        return {
          verify: (request, verifyOptions) => {
            options?.onVerify?.();
            if (request.serviceAccount === options?.hang) {
              return new Promise(() => {});
            }
            return verifier.verify(request, verifyOptions);
          },
        };
      },
    },
    logger,
    concurrency: options?.concurrency ?? 3,
    intervalMs: options?.intervalMs ?? 30 * 60_000,
    runTimeoutMs: options?.runTimeoutMs ?? 10 * 60_000,
    now: options?.now,
  });
  return { fleet, store, logger, sandbox };
}

describe('FleetVerification', () => {
  it('verifies every annotated entity once, fetching facts once per cluster, and records errors without stopping', async () => {
    const knex = await databases.init('POSTGRES_15');
    const { fleet, store, logger, sandbox } = await replica(knex);

    const summary = await fleet.run();

    expect(summary).toMatchObject({
      entities: 9,
      verified: 8,
      skippedRecent: 0,
      errors: 1,
      notStarted: 0,
      cancelled: 0,
      byStatus: { pass: 1, warn: 1, fail: 6, unknown: 0 },
    });
    const calls = (operation: string) =>
      sandbox.controls.calls.filter(c => c.operation === operation).length;
    expect(calls('describeCluster')).toBe(2);
    // Batched: the account is read once, no role one by one.
    expect(calls('getAccountAuthorizationDetails')).toBe(1);
    expect(calls('getRole')).toBe(0);
    expect(
      (await store.latest('component:default/payments-api'))?.trigger,
    ).toBe('schedule');
    expect(logger.warn).toHaveBeenCalledWith(
      'IRSA fleet run: component:default/unknown-cluster could not be verified: cluster: "nope" is not configured under irsa.clusters (configured: sandbox, sandbox-legacy)',
    );
    expect(logger.info).toHaveBeenCalledWith(
      expect.stringMatching(
        /^IRSA fleet run: 8 verified \(1 pass, 1 warn, 6 fail, 0 unknown\), 0 already fresh, 1 errors, 9 annotated entities, \d+ ms$/,
      ),
    );
  });

  it('leaves entities another replica verified this interval (two replicas, one PostgreSQL)', async () => {
    const knex = await databases.init('POSTGRES_15');
    const first = await replica(knex);
    const second = await replica(knex);

    await first.fleet.run();
    const summary = await second.fleet.run();

    expect(summary).toMatchObject({ verified: 0, skippedRecent: 8, errors: 1 });
    // Nothing due: not even the snapshot is read.
    expect(second.sandbox.controls.calls).toEqual([]);
  });

  it('on abort starts no further entity and cancels the one in flight, which stores nothing', async () => {
    const knex = await databases.init('POSTGRES_15');
    const before = await replica(knex);
    await before.fleet.run();
    const refs = entities.map(e => `component:default/${e.metadata.name}`);
    const previous = await before.store.latest(
      'component:default/payments-api',
    );
    const previousTimes = await before.store.lastVerified(refs);

    const controller = new AbortController();
    // The scheduler aborts (timeout or shutdown) while the first entity runs.
    const { fleet, store, logger } = await replica(knex, {
      concurrency: 1,
      intervalMs: 0,
      onVerify: () => controller.abort(),
    });
    const summary = await fleet.run({ signal: controller.signal });

    expect(summary).toMatchObject({
      entities: 9,
      verified: 0,
      errors: 0,
      cancelled: 1,
      notStarted: 8,
    });
    expect(logger.warn).toHaveBeenCalledWith(
      'IRSA fleet run aborted: 1 cancelled in flight, 8 of 9 due entities not started',
    );
    // Every entity keeps its last real report: the cancelled one wrote nothing.
    expect(await store.latest('component:default/payments-api')).toEqual(
      previous,
    );
    expect(await store.lastVerified(refs)).toEqual(previousTimes);
    expect(previousTimes.size).toBe(8);
  });

  it('starts nothing when the signal has fired before the run', async () => {
    const knex = await databases.init('POSTGRES_15');
    const { fleet, sandbox } = await replica(knex);
    const controller = new AbortController();
    controller.abort();

    const summary = await fleet.run({ signal: controller.signal });

    expect(summary).toMatchObject({ verified: 0, errors: 0, notStarted: 9 });
    expect(sandbox.controls.calls).toEqual([]);
  });

  it("holds a run's claims until the run's deadline: a replica that dies mid-run keeps its entities from the next run no longer", async () => {
    const knex = await databases.init('POSTGRES_15');
    let now = Date.parse('2026-11-28T10:00:00.000Z');
    const clock = () => now;
    const ref = 'component:default/payments-api';
    // The replica claims payments-api and dies in its verification: its run
    // never ends and releases nothing.
    const dying = await replica(knex, {
      concurrency: 1,
      runTimeoutMs: 60_000,
      hang: 'payments-api',
      now: clock,
    });
    void dying.fleet.run();
    let claim: { lease_until_ms: string | number } | undefined;
    for (let i = 0; i < 200 && !claim; i++) {
      await new Promise(resolve => setTimeout(resolve, 25));
      claim = await knex('irsa_verification_claims')
        .where({ entity_ref: ref })
        .first();
    }
    expect(Number(claim?.lease_until_ms)).toBe(now + 60_000);

    // The next run, once the dead run's deadline has passed.
    now += 60_000;
    const survivor = await replica(knex, { runTimeoutMs: 60_000, now: clock });
    const summary = await survivor.fleet.run();
    expect(summary).toMatchObject({ verified: 8, skippedRecent: 0 });
    expect((await survivor.store.latest(ref))?.status).toBe('pass');
  });

  it('refuses, in the database, an entity another run verified this interval after this run listed it as due', async () => {
    const knex = await databases.init('POSTGRES_15');
    const first = await replica(knex);
    // The second run lists every entity as due, then the first replica's
    // run verifies them all before the second claims any.
    const second = await replica(knex, {
      onVerify: () => {
        throw new Error('verified twice');
      },
    });
    const store = second.store;
    const lastVerified = store.lastVerified.bind(store);
    jest.spyOn(store, 'lastVerified').mockImplementation(async refs => {
      const answer = await lastVerified(refs);
      await first.fleet.run();
      return answer;
    });

    const summary = await second.fleet.run();

    expect(summary).toMatchObject({ verified: 0, skippedRecent: 8, errors: 1 });
  });
});
