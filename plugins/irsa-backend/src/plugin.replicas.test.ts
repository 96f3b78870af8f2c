import { createServiceFactory } from '@backstage/backend-plugin-api';
import { schedulerServiceFactory } from '@backstage/backend-defaults/scheduler';
import {
  mockServices,
  startTestBackend,
  TestDatabases,
  type TestBackend,
} from '@backstage/backend-test-utils';
import type { Entity } from '@backstage/catalog-model';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import { irsaServiceRef } from '@backstage-irsa/plugin-irsa-node';
import {
  createSandboxIrsaService,
  sandboxFleet,
  type Sandbox,
} from '@backstage-irsa/plugin-irsa-sandbox';
import createKnex, { type Knex } from 'knex';
import { setTimeout as sleep } from 'node:timers/promises';
import irsaPlugin from '.';
import {
  FleetVerification,
  type FleetRunSummary,
} from './service/FleetVerification';

/*
 * Two full backends (the irsa plugin, its real scheduler, a sandbox each, a
 * catalog of N annotated components) on one PostgreSQL database, as two
 * replicas of a deployment. PostgreSQL is required: without it this fails.
 */

const PG = 'BACKSTAGE_TEST_DATABASE_POSTGRES15_CONNECTION_STRING';
const databases = TestDatabases.create({ ids: ['POSTGRES_15'] });

const N = 12;
const fleet = sandboxFleet({
  accounts: 1,
  clusters: 1,
  namespacesPerCluster: 2,
  components: N,
});
const entities: Entity[] = fleet.components.map(c => ({
  apiVersion: 'backstage.io/v1alpha1',
  kind: 'Component',
  metadata: {
    name: c.serviceAccount,
    namespace: 'default',
    annotations: {
      'irsa.dev/cluster': c.cluster,
      'irsa.dev/service-account': `${c.namespace}/${c.serviceAccount}`,
      'irsa.dev/role-arn': c.roleArn,
    },
  },
  spec: { type: 'service', owner: 'fleet', lifecycle: 'production' },
}));
const refs = fleet.components.map(c => c.entityRef).sort();

/** The schedule interval: a multiple of the scheduler's 5 s poll. */
const INTERVAL_SECONDS = 20;
const TIMEOUT_SECONDS = 10;

/** Every fleet run of either replica, with the replica that ran it. */
interface Run {
  replica: FleetVerification;
  done: boolean;
  summary?: FleetRunSummary;
}

// Real intervals: each test waits for the scheduler.
jest.setTimeout(150_000);

describe('two replicas on one PostgreSQL', () => {
  const runs: Run[] = [];
  /** The most runs in flight at once, over both replicas. */
  let mostAtOnce = 0;
  const original = FleetVerification.prototype.run;
  let knexes: Knex[] = [];
  let backends: TestBackend[] = [];

  beforeAll(() => {
    if (!process.env[PG]) {
      throw new Error(
        `${PG} is not set: the replica tests need PostgreSQL (.ci/run starts it)`,
      );
    }
    // Observes the real runs: which replica ran, and what each did.
    jest
      .spyOn(FleetVerification.prototype, 'run')
      .mockImplementation(async function observed(
        this: FleetVerification,
        ...args
      ) {
        const run: Run = { replica: this, done: false };
        runs.push(run);
        mostAtOnce = Math.max(mostAtOnce, runs.filter(r => !r.done).length);
        try {
          run.summary = await original.apply(this, args);
          return run.summary;
        } finally {
          run.done = true;
        }
      });
  });

  afterEach(async () => {
    await Promise.all(backends.map(b => b.stop()));
    await Promise.all(knexes.slice(1).map(k => k.destroy()));
    backends = [];
    knexes = [];
    runs.length = 0;
    mostAtOnce = 0;
  });

  afterAll(() => jest.restoreAllMocks());

  /**
   * A fresh database, and a connection pool per replica to it (the first
   * from TestDatabases, which drops the database at the end).
   */
  async function database(): Promise<void> {
    const first = await databases.init('POSTGRES_15');
    knexes = [first, createKnex(first.client.config)];
  }

  /** Starts a replica: its own sandbox (as slow as `latencyMs` per call) and pool. */
  async function startReplica(
    index: number,
    options: { latencyMs: number; scope?: 'global' | 'local' },
  ): Promise<{ backend: TestBackend; sandbox: Sandbox }> {
    const { service, sandbox } = await createSandboxIrsaService({
      seed: false,
      seedWith: fleet.seed,
      latencyMs: options.latencyMs,
    });
    const backend = await startTestBackend({
      features: [
        irsaPlugin,
        catalogServiceMock.factory({ entities }),
        createServiceFactory({
          service: irsaServiceRef,
          deps: {},
          factory: () => service,
        }),
        mockServices.database.factory({ knex: knexes[index] }),
        schedulerServiceFactory,
        mockServices.rootConfig.factory({
          data: {
            events: { useEventBus: 'never' },
            irsa: {
              verification: {
                schedule: {
                  frequency: { seconds: INTERVAL_SECONDS },
                  timeout: { seconds: TIMEOUT_SECONDS },
                  initialDelay: { seconds: 0 },
                  ...(options.scope ? { scope: options.scope } : {}),
                },
                concurrency: 2,
              },
            },
          },
        }),
      ],
    });
    backends.push(backend);
    return { backend, sandbox };
  }

  /** Reports stored per entity ref, every entity listed. */
  async function reportsPerEntity(): Promise<Record<string, number>> {
    const rows: Array<{ entity_ref: string; n: string | number }> =
      await knexes[0]('irsa_reports')
        .select('entity_ref')
        .count({ n: '*' })
        .groupBy('entity_ref');
    const counts = Object.fromEntries(refs.map(ref => [ref, 0]));
    for (const row of rows) counts[row.entity_ref] = Number(row.n);
    return counts;
  }

  async function until(what: string, condition: () => Promise<boolean>) {
    // Generous: the scheduler polls every 5 s and the CI machine is shared.
    for (let waited = 0; waited < 120_000; waited += 100) {
      if (await condition()) return;
      await sleep(100);
    }
    throw new Error(`timed out waiting for ${what}`);
  }

  const settled = () => runs.filter(r => r.done);
  const everyEntity = (n: number) => Object.fromEntries(refs.map(r => [r, n]));

  it('verifies each component exactly once per interval: one run at a time, whichever replica runs it', async () => {
    await database();
    await startReplica(0, { latencyMs: 200 });
    await startReplica(1, { latencyMs: 200 });

    // The first interval's run starts at once, the second's one interval later.
    await until('two fleet runs', async () => settled().length >= 2);

    expect(runs).toHaveLength(2);
    expect(mostAtOnce).toBe(1);
    expect(runs.map(r => r.summary)).toEqual([
      expect.objectContaining({ entities: N, verified: N, skippedRecent: 0 }),
      expect.objectContaining({ entities: N, verified: N, skippedRecent: 0 }),
    ]);
    expect(await reportsPerEntity()).toEqual(everyEntity(2));
  });

  it('never verifies a component twice in an interval, even when both replicas run the fleet at the same time (scope: local)', async () => {
    await database();
    await startReplica(0, { latencyMs: 200, scope: 'local' });
    // The second replica starts while the first runs, and is slower: it
    // reaches each component after the first replica verified it.
    await until('the first replica to verify a component', async () =>
      Object.values(await reportsPerEntity()).some(n => n > 0),
    );
    await startReplica(1, { latencyMs: 300, scope: 'local' });

    await until(
      'both replicas to finish their run',
      async () => settled().length >= 2,
    );
    // The two runs overlapped, one on each replica.
    expect(new Set(runs.map(r => r.replica)).size).toBe(2);
    expect(mostAtOnce).toBe(2);
    expect(await reportsPerEntity()).toEqual(everyEntity(1));
    const verified = runs.map(r => r.summary!.verified);
    expect(verified[0] + verified[1]).toBe(N);
  });

  it('a replica stopped mid-run leaves no component unverified for more than one interval: the survivor runs the next interval for every component', async () => {
    await database();
    const first = await startReplica(0, { latencyMs: 250 });
    const second = await startReplica(1, { latencyMs: 250 });
    await until('the first run to be part-way', async () => {
      const counts = Object.values(await reportsPerEntity());
      return counts.filter(n => n > 0).length >= 3;
    });
    const partial = await reportsPerEntity();
    await first.backend.stop();
    backends = backends.filter(b => b !== first.backend);
    await until(
      'the stopped replica to end its run',
      async () => settled().length >= 1,
    );
    const stopped = runs[0];
    // The first replica ran it (its sandbox was called), the second waited.
    expect(first.sandbox.controls.calls.length).toBeGreaterThan(0);
    expect(second.sandbox.controls.calls).toEqual([]);
    // It really was cut short: some components were left for later.
    expect(stopped.summary!.verified).toBeLessThan(N);
    expect(
      stopped.summary!.cancelled + stopped.summary!.notStarted,
    ).toBeGreaterThan(0);
    const verifiedBeforeStop = await reportsPerEntity();

    await until(
      'the survivor to run the next interval',
      async () => settled().length >= 2,
    );
    const survivor = runs[1];
    expect(survivor.replica).not.toBe(stopped.replica);
    expect(second.sandbox.controls.calls.length).toBeGreaterThan(0);
    expect(survivor.summary).toMatchObject({ verified: N, errors: 0 });
    // Every component once in the stopped run's interval at most, and once
    // in the survivor's.
    const after = await reportsPerEntity();
    for (const ref of refs) {
      expect([ref, after[ref]]).toEqual([ref, verifiedBeforeStop[ref] + 1]);
      expect(verifiedBeforeStop[ref]).toBeLessThanOrEqual(1);
    }
    expect(Object.values(partial).some(n => n > 0)).toBe(true);
  });
});
