import { mockServices, TestDatabases } from '@backstage/backend-test-utils';
import type { Entity } from '@backstage/catalog-model';
import type { VerificationReport } from '@backstage-irsa/plugin-irsa-common';
import { ConfigReader } from '@backstage/config';
import {
  readClusterConfig,
  StaticClusterRegistry,
  type Verifier,
} from '@backstage-irsa/plugin-irsa-node';
import type { Knex } from 'knex';
import { DatabaseReportStore, migrateReportStore } from './ReportStore';
import { DatabaseVerificationClaims } from './VerificationClaims';
import {
  TooManyVerificationsError,
  VerificationService,
} from './VerificationService';

const databases = TestDatabases.create({ ids: ['SQLITE_3', 'POSTGRES_15'] });

const entity: Entity = {
  apiVersion: 'backstage.io/v1alpha1',
  kind: 'Component',
  metadata: {
    name: 'payments-api',
    namespace: 'default',
    annotations: {
      'irsa.dev/cluster': 'prod-eu',
      'irsa.dev/service-account': 'payments/payments-api',
    },
  },
};

const clock = { now: Date.parse('2026-11-27T12:00:00.000Z') };

/** A verifier that answers when the test says so, counting its runs. */
function gatedVerifier() {
  let release: () => void = () => {};
  let gate = new Promise<void>(resolve => {
    release = resolve;
  });
  const calls: string[] = [];
  const verifier: Verifier = {
    verify: async request => {
      calls.push(request.trigger);
      await gate;
      return {
        entityRef: request.entityRef,
        cluster: request.cluster,
        namespace: request.namespace,
        serviceAccount: request.serviceAccount,
        policies: [],
        allowlist: [],
        checks: [],
        status: 'pass',
        verifiedAt: new Date(clock.now).toISOString(),
        durationMs: 5,
        trigger: request.trigger,
      } satisfies VerificationReport;
    },
  };
  return {
    verifier,
    calls,
    open: () => release(),
    close: () => {
      gate = new Promise<void>(resolve => {
        release = resolve;
      });
    },
  };
}

/** One backend replica: its own service and in-process state, the shared database. */
async function replica(knex: Knex, verifier: Verifier, cooldownSeconds = 30) {
  await migrateReportStore({
    getClient: async () => knex,
    migrations: { skip: false },
  } as any);
  const store = new DatabaseReportStore(knex, 20);
  const service = new VerificationService({
    verifier,
    store,
    claims: new DatabaseVerificationClaims(knex),
    clusters: new StaticClusterRegistry(
      readClusterConfig(
        new ConfigReader({
          irsa: {
            clusters: [
              {
                name: 'prod-eu',
                accountId: '123456789012',
                region: 'eu-west-1',
              },
            ],
          },
        }),
      ),
    ),
    logger: mockServices.logger.mock(),
    cooldownSeconds,
    now: () => clock.now,
  });
  return { service, store };
}

const settle = <T>(promise: Promise<T>) =>
  promise.then(
    value => ({ ok: true as const, value }),
    (error: Error) => ({ ok: false as const, error }),
  );

describe('VerificationService', () => {
  beforeEach(() => {
    clock.now = Date.parse('2026-11-27T12:00:00.000Z');
  });

  it.each(databases.eachSupportedId())(
    'lets concurrent requests on one replica join one run on %p',
    async id => {
      const knex = await databases.init(id);
      const gated = gatedVerifier();
      const { service, store } = await replica(knex, gated.verifier);

      const first = service.verify(entity, 'manual');
      const second = service.verify(entity, 'manual');
      gated.open();

      expect(await second).toBe(await first);
      expect(gated.calls).toEqual(['manual']);
      expect(
        await store.history('component:default/payments-api', 5),
      ).toHaveLength(1);
    },
  );

  it.each(databases.eachSupportedId())(
    'lets only one of two replicas run a verification, the other answering 429-style on %p',
    async id => {
      const knex = await databases.init(id);
      const gated = gatedVerifier();
      const a = await replica(knex, gated.verifier);
      const b = await replica(knex, gated.verifier);

      const results = Promise.all([
        settle(a.service.verify(entity, 'manual')),
        settle(b.service.verify(entity, 'manual')),
      ]);
      // Both claims are decided before the verifier is let go.
      await new Promise(resolve => setTimeout(resolve, 200));
      gated.open();
      const [ra, rb] = await results;

      expect(gated.calls).toEqual(['manual']);
      const refused = [ra, rb].filter(r => !r.ok);
      expect(refused).toHaveLength(1);
      const error = (refused[0] as { error: Error }).error;
      expect(error).toBeInstanceOf(TooManyVerificationsError);
      expect(error.message).toBe(
        'This entity is being verified by another instance; try again in 5 s',
      );
      expect((error as TooManyVerificationsError).retryAfterSeconds).toBe(5);
      expect(
        await a.store.history('component:default/payments-api', 5),
      ).toHaveLength(1);
    },
  );

  it.each(databases.eachSupportedId())(
    'refuses manual and requested runs within the cooldown on any replica, but not the schedule, on %p',
    async id => {
      const knex = await databases.init(id);
      const gated = gatedVerifier();
      gated.open();
      const a = await replica(knex, gated.verifier, 30);
      const b = await replica(knex, gated.verifier, 30);

      await a.service.verify(entity, 'manual');
      clock.now += 10_000;
      const manual = await settle(b.service.verify(entity, 'manual'));
      const requested = await settle(b.service.verify(entity, 'provision'));
      expect(manual).toEqual({
        ok: false,
        error: new TooManyVerificationsError(
          'This entity was verified moments ago; try again in 20 s',
          20,
        ),
      });
      expect(
        manual.ok
          ? undefined
          : (manual.error as TooManyVerificationsError).retryAfterSeconds,
      ).toBe(20);
      expect(requested.ok).toBe(false);

      const scheduled = await b.service.verify(entity, 'schedule');
      expect(scheduled.trigger).toBe('schedule');

      clock.now += 30_000;
      expect((await a.service.verify(entity, 'manual')).trigger).toBe('manual');
      expect(gated.calls).toEqual(['manual', 'schedule', 'manual']);
    },
  );

  it.each(databases.eachSupportedId())(
    'frees the entity without a cooldown when a run fails, and takes over an expired lease, on %p',
    async id => {
      const knex = await databases.init(id);
      let fail = true;
      const gated = gatedVerifier();
      gated.open();
      const flaky: Verifier = {
        verify: async (request, context) => {
          if (fail) throw new Error('sts unreachable');
          return gated.verifier.verify(request, context);
        },
      };
      const { service } = await replica(knex, flaky);

      await expect(service.verify(entity, 'manual')).rejects.toThrow(
        'sts unreachable',
      );
      fail = false;
      expect((await service.verify(entity, 'manual')).status).toBe('pass');

      // A replica that died mid-run leaves a lease; once it expires, it is taken over.
      const claims = new DatabaseVerificationClaims(knex);
      const other = await claims.claim('component:default/other', {
        now: new Date(clock.now),
        leaseMs: 60_000,
      });
      expect(other.claimed).toBe(true);
      expect(
        await claims.claim('component:default/other', {
          now: new Date(clock.now + 59_000),
          leaseMs: 60_000,
        }),
      ).toEqual({
        claimed: false,
        reason: 'running',
        leaseUntil: new Date(clock.now + 60_000),
      });
      const later = await claims.claim('Component:default/Other', {
        now: new Date(clock.now + 60_000),
        leaseMs: 60_000,
      });
      expect(later.claimed).toBe(true);
    },
  );

  it.each(databases.eachSupportedId())(
    'forgets idle claims finished before the cutoff, never a running one, on %p',
    async id => {
      const knex = await databases.init(id);
      await replica(knex, gatedVerifier().verifier);
      const claims = new DatabaseVerificationClaims(knex);
      const at = (iso: string) => new Date(iso);
      const old = await claims.claim('component:default/old', {
        now: at('2026-10-01T00:00:00.000Z'),
        leaseMs: 60_000,
      });
      await claims.release(
        'component:default/old',
        (old as { token: string }).token,
        {
          finishedAt: at('2026-10-01T00:00:01.000Z'),
        },
      );
      const recent = await claims.claim('component:default/recent', {
        now: at('2026-11-20T00:00:00.000Z'),
        leaseMs: 60_000,
      });
      await claims.release(
        'component:default/recent',
        (recent as { token: string }).token,
        { finishedAt: at('2026-11-20T00:00:01.000Z') },
      );
      await claims.claim('component:default/running', {
        now: at('2026-11-27T00:00:00.000Z'),
        leaseMs: 60_000,
      });

      expect(await claims.purgeIdleBefore(at('2026-10-28T00:00:00.000Z'))).toBe(
        1,
      );
      expect(
        (
          await knex('irsa_verification_claims')
            .select('entity_ref')
            .orderBy('entity_ref')
        ).map(r => r.entity_ref),
      ).toEqual(['component:default/recent', 'component:default/running']);
    },
  );

  it('runs a fresh verification (after a restart) inside the cooldown, after the run already going rather than joining it', async () => {
    const knex = await databases.init('SQLITE_3');
    const gated = gatedVerifier();
    const { service, store } = await replica(knex, gated.verifier, 600);

    const going = service.verify(entity, 'manual');
    const fresh = service.verify(entity, 'manual', { fresh: true });
    gated.open();
    const [first, second] = await Promise.all([going, fresh]);

    expect(second).not.toBe(first);
    expect(gated.calls).toEqual(['manual', 'manual']);
    expect(
      await store.history('component:default/payments-api', 5),
    ).toHaveLength(2);
    // Without `fresh` the cooldown still holds.
    await expect(service.verify(entity, 'manual')).rejects.toThrow(
      'This entity was verified moments ago; try again in 600 s',
    );
  });

  it('names the annotation when the entity cannot be verified', async () => {
    const knex = await databases.init('SQLITE_3');
    const { service } = await replica(knex, gatedVerifier().verifier);
    await expect(
      service.verify(
        {
          ...entity,
          metadata: {
            ...entity.metadata,
            annotations: {
              'irsa.dev/cluster': 'nope',
              'irsa.dev/service-account': 'payments/payments-api',
            },
          },
        },
        'manual',
      ),
    ).rejects.toThrow(
      'cluster: "nope" is not configured under irsa.clusters (configured: prod-eu)',
    );
  });

  it("hands the verifier the entity's declared mechanism", async () => {
    const knex = await databases.init('SQLITE_3');
    const { service } = await replica(knex, gatedVerifier().verifier);
    const podIdentity: Entity = {
      ...entity,
      metadata: {
        ...entity.metadata,
        annotations: {
          ...entity.metadata.annotations,
          'irsa.dev/mechanism': 'pod-identity',
        },
      },
    };
    expect(service.requestFor(podIdentity, 'manual')).toEqual({
      cluster: 'prod-eu',
      namespace: 'payments',
      serviceAccount: 'payments-api',
      roleArn: undefined,
      mechanism: 'pod-identity',
      entityRef: 'component:default/payments-api',
      trigger: 'manual',
    });
    expect(service.requestFor(entity, 'manual')).not.toHaveProperty(
      'mechanism',
    );
  });
});
