import {
  mockCredentials,
  mockServices,
  startTestBackend,
} from '@backstage/backend-test-utils';
import {
  createBackendModule,
  createBackendPlugin,
  createServiceFactory,
  type BackendFeature,
} from '@backstage/backend-plugin-api';
import type { Entity } from '@backstage/catalog-model';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import { AuthorizeResult } from '@backstage/plugin-permission-common';
import {
  irsaChecksExtensionPoint,
  irsaServiceRef,
  irsaVerifierServiceRef,
  type IrsaCheck,
  type Verifier,
} from '@backstage-irsa/plugin-irsa-node';
import {
  createSandboxIrsaService,
  SANDBOX_SCENARIOS,
} from '@backstage-irsa/plugin-irsa-sandbox';
import request from 'supertest';
import irsaPlugin from '.';

const healthy = SANDBOX_SCENARIOS.find(s => s.id === 'healthy')!;
const entity: Entity = {
  apiVersion: 'backstage.io/v1alpha1',
  kind: 'Component',
  metadata: {
    name: 'payments-api',
    namespace: 'default',
    annotations: {
      'irsa.dev/cluster': healthy.cluster,
      'irsa.dev/service-account': `${healthy.namespace}/${healthy.serviceAccount}`,
      'irsa.dev/role-arn': healthy.roleArn,
    },
  },
  spec: { type: 'service', owner: 'guests', lifecycle: 'production' },
};

/** An adopter's check: the role must carry an `owner-team` tag. */
const ownerTeamCheck: IrsaCheck = {
  id: 'owner-team',
  title: 'Owner team tag',
  mechanism: 'irsa',
  dependsOn: ['role'],
  reads: ['role'],
  remediation: 'Tag the role with owner-team',
  run: ({ read }) =>
    read('role')?.tags['owner-team']
      ? { status: 'pass', message: 'Tagged' }
      : { status: 'warn', message: 'The role has no owner-team tag' },
};

const checksModule = (...checks: IrsaCheck[]) =>
  createBackendModule({
    pluginId: 'irsa',
    moduleId: 'test-checks',
    register(env) {
      env.registerInit({
        deps: { checks: irsaChecksExtensionPoint },
        async init({ checks: extension }) {
          extension.addCheck(...checks);
        },
      });
    },
  });

/** Stands in for the scaffolder module: another plugin using the verifier. */
function verifierUser() {
  const holder: { verifier?: Verifier } = {};
  const feature = createBackendPlugin({
    pluginId: 'verifier-user',
    register(env) {
      env.registerInit({
        deps: { verifier: irsaVerifierServiceRef },
        async init({ verifier }) {
          holder.verifier = verifier;
        },
      });
    },
  });
  return { feature, holder };
}

async function start(features: BackendFeature[]) {
  const { service } = await createSandboxIrsaService();
  const { server } = await startTestBackend({
    features: [
      ...features,
      irsaPlugin,
      catalogServiceMock.factory({ entities: [entity] }),
      createServiceFactory({
        service: irsaServiceRef,
        deps: {},
        factory: () => service,
      }),
      mockServices.permissions.factory({ result: AuthorizeResult.ALLOW }),
      mockServices.rootConfig.factory({
        data: {
          irsa: { verification: { cooldownSeconds: 0 } },
          events: { useEventBus: 'never' },
        },
      }),
    ],
  });
  return server;
}

const base = '/api/irsa/v1/entities/component/default/payments-api';
const user = mockCredentials.user.header();

describe('checks added by modules of the irsa plugin', () => {
  it('run in every verification: the stored report, the history and the verifier other plugins use', async () => {
    const other = verifierUser();
    const server = await start([checksModule(ownerTeamCheck), other.feature]);
    const verified = await request(server)
      .post(`${base}/verify`)
      .set('Authorization', user);
    expect(verified.status).toBe(200);
    const checks = verified.body.report.checks as Array<{ id: string }>;
    expect(checks.map(c => c.id).slice(-2)).toEqual([
      'cloudtrail',
      'owner-team',
    ]);
    expect(checks[checks.length - 1]).toEqual({
      id: 'owner-team',
      title: 'Owner team tag',
      mechanism: 'irsa',
      status: 'warn',
      message: 'The role has no owner-team tag',
      evidence: {},
      remediation: 'Tag the role with owner-team',
      durationMs: expect.any(Number),
    });
    expect(verified.body.report.status).toBe('warn');

    const stored = await request(server).get(base).set('Authorization', user);
    expect(stored.body.report.checks).toEqual(verified.body.report.checks);
    const history = await request(server)
      .get(`${base}/history`)
      .set('Authorization', user);
    expect(history.body.items[0].failingChecks).toEqual(['owner-team']);

    const report = await other.holder.verifier!.verify({
      ...healthy,
      entityRef: 'component:default/payments-api',
      trigger: 'provision',
    });
    expect(report.checks.map(c => [c.id, c.status]).slice(-1)).toEqual([
      ['owner-team', 'warn'],
    ]);
  });

  it('stops the start-up when a check is invalid, naming it', async () => {
    await expect(
      start([checksModule({ ...ownerTeamCheck, dependsOn: ['owner'] })]),
    ).rejects.toThrow(
      "irsa check 'owner-team': dependsOn: no check is registered as 'owner'",
    );
  });
});
