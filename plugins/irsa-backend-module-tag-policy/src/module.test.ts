import {
  mockCredentials,
  mockServices,
  startTestBackend,
} from '@backstage/backend-test-utils';
import type { Entity } from '@backstage/catalog-model';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import { AuthorizeResult } from '@backstage/plugin-permission-common';
// The test starts the plugin this module extends.
// eslint-disable-next-line @backstage/no-mixed-plugin-imports
import irsaPlugin from '@backstage-irsa/plugin-irsa-backend';
import irsaSandbox, {
  SANDBOX_SCENARIOS,
} from '@backstage-irsa/plugin-irsa-sandbox';
import request from 'supertest';
import irsaModuleTagPolicy from '.';

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

/** The irsa plugin on the sandbox (the package and irsa.sandbox: true) with this module. */
async function start(tagPolicy?: object) {
  const { server } = await startTestBackend({
    features: [
      irsaPlugin,
      irsaModuleTagPolicy,
      irsaSandbox,
      catalogServiceMock.factory({ entities: [entity] }),
      mockServices.permissions.factory({ result: AuthorizeResult.ALLOW }),
      mockServices.rootConfig.factory({
        data: {
          irsa: {
            sandbox: true,
            verification: { cooldownSeconds: 0 },
            ...(tagPolicy ? { tagPolicy } : {}),
          },
          events: { useEventBus: 'never' },
        },
      }),
    ],
  });
  return server;
}

const base = '/api/irsa/v1/entities/component/default/payments-api';
const user = mockCredentials.user.header();

async function verifyAndRead(server: Awaited<ReturnType<typeof start>>) {
  const verified = await request(server)
    .post(`${base}/verify`)
    .set('Authorization', user);
  expect(verified.status).toBe(200);
  const stored = await request(server).get(base).set('Authorization', user);
  const history = await request(server)
    .get(`${base}/history`)
    .set('Authorization', user);
  return {
    report: stored.body.report,
    summary: history.body.items[0],
  };
}

describe('irsa-backend-module-tag-policy', () => {
  it('adds tag-policy to the stored report; the seeded role carries cost-center', async () => {
    const { report, summary } = await verifyAndRead(
      await start({ requiredTags: ['cost-center'] }),
    );
    expect(report.status).toBe('pass');
    expect(report.checks[report.checks.length - 1]).toEqual({
      id: 'tag-policy',
      title: 'Tag policy',
      mechanism: 'any',
      status: 'pass',
      message: 'The role carries cost-center',
      evidence: { requiredTags: ['cost-center'], missing: [] },
      durationMs: expect.any(Number),
    });
    expect(summary.failingChecks).toEqual([]);
  });

  it('warns with the remediation in the report and names the check in the history', async () => {
    const { report, summary } = await verifyAndRead(
      await start({ requiredTags: ['cost-center', 'team'] }),
    );
    expect(report.status).toBe('warn');
    expect(
      report.checks.find((c: { id: string }) => c.id === 'tag-policy'),
    ).toMatchObject({
      status: 'warn',
      message: 'The role lacks the required tag team',
      remediation:
        'aws iam tag-role --role-name irsa-sandbox-payments-payments-api --tags Key=team,Value=VALUE   (roles made by aws:irsa:create get platform tags from irsa.provisioning.tags)',
    });
    expect(summary.failingChecks).toEqual(['tag-policy']);
  });

  it('adds nothing without irsa.tagPolicy', async () => {
    const { report } = await verifyAndRead(await start());
    expect(
      report.checks.map((c: { id: string }) => c.id).includes('tag-policy'),
    ).toBe(false);
    expect(report.checks).toHaveLength(14);
  });

  it('stops the start-up on a bad setting, naming the key', async () => {
    await expect(start({ requiredTags: ['aws:x'] })).rejects.toThrow(
      'irsa.tagPolicy.requiredTags: "aws:x" is not an IAM tag key',
    );
  });
});
