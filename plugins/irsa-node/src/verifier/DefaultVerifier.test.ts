import { mockServices } from '@backstage/backend-test-utils';
import type { CheckId } from '@backstage-irsa/plugin-irsa-common';
import { GatewayError } from '../gateways/errors';
import {
  createSandboxIrsaService,
  SANDBOX_SCENARIOS,
} from '@backstage-irsa/plugin-irsa-sandbox';
import { CheckRegistry } from './CheckRegistry';
import { builtInChecks } from './checks';
import { DefaultVerifier } from './DefaultVerifier';

// What an IRSA workload runs: the IRSA checks and those for both mechanisms.
const IRSA_CHECK_IDS = new CheckRegistry(builtInChecks)
  .checksFor('irsa')
  .map(c => c.id);

async function setup(
  options?: Omit<
    ConstructorParameters<typeof DefaultVerifier>[0],
    'service' | 'logger'
  >,
) {
  const { service, sandbox } = await createSandboxIrsaService();
  const verifier = new DefaultVerifier({
    service,
    logger: mockServices.logger.mock(),
    ...options,
  });
  return { service, sandbox, verifier };
}

const statuses = (report: { checks: Array<{ id: string; status: string }> }) =>
  Object.fromEntries(report.checks.map(c => [c.id, c.status]));

describe('DefaultVerifier on the sandbox scenarios', () => {
  it('passes every check for the healthy workload and fills the report', async () => {
    const { verifier } = await setup();
    const s = SANDBOX_SCENARIOS.find(x => x.id === 'healthy')!;
    const report = await verifier.verify({
      ...s,
      entityRef: 'component:default/payments-api',
      trigger: 'manual',
    });
    expect(statuses(report)).toEqual(
      Object.fromEntries(IRSA_CHECK_IDS.map(id => [id, 'pass'])),
    );
    expect(report).toMatchObject({
      entityRef: 'component:default/payments-api',
      status: 'pass',
      roleArn: s.roleArn,
      roleName: 'irsa-sandbox-payments-payments-api',
      accountId: '111122223333',
      region: 'us-east-1',
      trigger: 'manual',
    });
    expect(
      report.policies.map(p => [p.kind, p.name, p.purpose, p.awsManaged]),
    ).toEqual([
      ['managed', 'irsa-sandbox-payments-payments-api', 'permissions', false],
      [
        'managed',
        'irsa-sandbox-payments-payments-api-allowlist',
        'allowlist',
        false,
      ],
    ]);
    expect(report.allowlist).toEqual([
      {
        value: '203.0.113.10/32',
        kind: 'cidr',
        source: 'nat',
        state: 'covered',
      },
      {
        value: '203.0.113.20/32',
        kind: 'cidr',
        source: 'nat',
        state: 'covered',
      },
      {
        value: 'vpc-0a1b2c3d4e5f60718',
        kind: 'vpc',
        source: 'vpc',
        state: 'covered',
      },
    ]);
    expect(
      report.checks.find(c => c.id === 'credential-exchange')?.evidence,
    ).toEqual({
      assumedRoleArn:
        'arn:aws:sts::111122223333:assumed-role/irsa-sandbox-payments-payments-api/backstage-irsa-verify-payments-api',
      subject: 'system:serviceaccount:payments:payments-api',
      audience: 'sts.amazonaws.com',
    });
  });

  it.each(
    SANDBOX_SCENARIOS.filter(s => s.builtToFail).map(
      s => [s.id, s.builtToFail!, s] as const,
    ),
  )(
    '%s fails exactly %s (other checks pass or are skipped)',
    async (id, checkId, s) => {
      const { verifier } = await setup();
      const report = await verifier.verify({ ...s, trigger: 'manual' });
      const byId = statuses(report);
      expect(byId[checkId]).toBe(id === 'trust-no-audience' ? 'warn' : 'fail');
      const others = Object.entries(byId).filter(
        ([other]) => other !== checkId,
      );
      expect(
        others.filter(
          ([, status]) => status !== 'pass' && status !== 'skipped',
        ),
      ).toEqual([]);
      const check = report.checks.find(c => c.id === checkId)!;
      expect(check.remediation).toMatch(/\S{8}/);
    },
  );

  it('names the remediation for each broken workload', async () => {
    const { verifier } = await setup();
    const get = async (id: string, check: CheckId) => {
      const s = SANDBOX_SCENARIOS.find(x => x.id === id)!;
      return (await verifier.verify({ ...s, trigger: 'manual' })).checks.find(
        c => c.id === check,
      )!;
    };
    expect((await get('sa-not-annotated', 'service-account')).remediation).toBe(
      'kubectl annotate serviceaccount -n orders orders-worker eks.amazonaws.com/role-arn=arn:aws:iam::111122223333:role/irsa-sandbox-orders-orders-worker --overwrite',
    );
    const pods = await get('pods-before-annotation', 'pod-injection');
    expect(pods.message).toBe(
      'Restart needed: billing-api-6c4b9-7d9f8, billing-api-6c4b9-k2x4q started before the ServiceAccount was annotated and have no (or an old) AWS_ROLE_ARN',
    );
    const subject = await get('trust-wrong-namespace', 'trust-subject');
    expect(subject.message).toBe(
      "The trust policy's oidc.eks.us-east-1.amazonaws.com/id/5A4D1E0B8C0F4E2B9D7A6C3E1F0B2D4A:sub is system:serviceaccount:analytics:reports-job, not system:serviceaccount:reports:reports-job",
    );
    expect((await get('allowlist-missing-nat', 'allowlist')).message).toBe(
      'The allowlist misses 203.0.113.20/32: calls from there are denied',
    );
    expect((await get('oidc-missing', 'oidc-provider')).remediation).toMatch(
      /^Create it: eksctl utils associate-iam-oidc-provider --cluster sandbox-legacy --region us-west-2 --approve/,
    );
  });

  it('passes pod-injection after the pods are restarted', async () => {
    const { verifier, sandbox } = await setup();
    const s = SANDBOX_SCENARIOS.find(x => x.id === 'pods-before-annotation')!;
    sandbox.controls.restartPods(s.cluster, s.namespace, s.serviceAccount);
    const report = await verifier.verify({ ...s, trigger: 'manual' });
    expect(report.status).toBe('pass');
  });

  it('reads the role ARN from the ServiceAccount when the entity has none', async () => {
    const { verifier } = await setup();
    const s = SANDBOX_SCENARIOS.find(x => x.id === 'healthy')!;
    const report = await verifier.verify({
      cluster: s.cluster,
      namespace: s.namespace,
      serviceAccount: s.serviceAccount,
      entityRef: s.entityRef,
      trigger: 'schedule',
    });
    expect(report.roleArn).toBe(s.roleArn);
    expect(report.status).toBe('pass');
    expect(
      report.checks.find(c => c.id === 'role')?.evidence.roleArnSource,
    ).toBe('service-account');
  });

  it('marks the checks of an unreachable source unknown and still runs the others', async () => {
    const { verifier, sandbox } = await setup();
    const s = SANDBOX_SCENARIOS.find(x => x.id === 'healthy')!;
    sandbox.controls.failNext(
      'listPodsForServiceAccount',
      new GatewayError({
        kind: 'unavailable',
        operation: 'k8s:list pods',
        message: 'connection refused',
      }),
    );
    const report = await verifier.verify({ ...s, trigger: 'manual' });
    expect(report.checks.find(c => c.id === 'pod-injection')).toMatchObject({
      status: 'unknown',
      message:
        'Could not check: pods failed: k8s:list pods: unavailable (no usable answer)',
    });
    expect(report.status).toBe('unknown');
    // Every check reading the pods is unknown; the others pass.
    expect(
      report.checks.filter(c => c.status !== 'pass').map(c => c.id),
    ).toEqual(['pod-injection', 'conflict', 'shadowing']);
    expect(report.checks.filter(c => c.status === 'pass')).toHaveLength(
      IRSA_CHECK_IDS.length - 3,
    );
  });

  it('turns a source that times out into unknown, not a crash', async () => {
    const { verifier, sandbox } = await setup({ checkTimeoutMs: 50 });
    const s = SANDBOX_SCENARIOS.find(x => x.id === 'healthy')!;
    sandbox.controls.setLatency(200);
    const report = await verifier.verify({ ...s, trigger: 'manual' });
    expect(report.status).toBe('unknown');
    expect(report.checks.find(c => c.id === 'oidc-provider')?.message).toBe(
      'Could not check: cluster facts did not answer within 50 ms',
    );
    expect(report.checks.find(c => c.id === 'binding')?.message).toBe(
      'Could not check: ServiceAccount did not answer within 50 ms',
    );
    expect(report.checks.find(c => c.id === 'role')?.message).toBe(
      'Not shown: the binding could not be checked',
    );
  });

  it('warns about CloudTrail errors for the role, labelled management events only', async () => {
    const { verifier, sandbox } = await setup();
    const s = SANDBOX_SCENARIOS.find(x => x.id === 'healthy')!;
    sandbox.controls.recordCloudTrailEvent({
      region: 'us-east-1',
      eventName: 'AssumeRoleWithWebIdentity',
      eventSource: 'sts.amazonaws.com',
      errorCode: 'AccessDenied',
      resourceNames: [s.roleArn],
    });
    const report = await verifier.verify({ ...s, trigger: 'manual' });
    expect(report.checks.find(c => c.id === 'cloudtrail')).toMatchObject({
      status: 'warn',
      message:
        '1 failed call in the last 60 minutes (management events only): AssumeRoleWithWebIdentity AccessDenied',
    });
  });

  it('warns in the permissions check about grants the platform guardrails deny', async () => {
    const { service } = await createSandboxIrsaService();
    const verifier = new DefaultVerifier({
      service,
      logger: mockServices.logger.mock(),
      guardrails: { deniedActions: ['s3:ListBucket'] },
    });
    const s = SANDBOX_SCENARIOS.find(x => x.id === 'healthy')!;
    const check = (
      await verifier.verify({ ...s, trigger: 'manual' })
    ).checks.find(c => c.id === 'permissions')!;
    expect(check.status).toBe('warn');
    expect(check.message).toBe(
      'Grants the guardrails flag: irsa-sandbox-payments-payments-api: Statement[0] allows s3:ListBucket, which this platform denies ("s3:ListBucket") on Resource "arn:aws:s3:::demo-payments", "arn:aws:s3:::demo-payments/*"',
    );
  });

  it('never puts the token or credentials in the report', async () => {
    const { verifier } = await setup();
    const s = SANDBOX_SCENARIOS.find(x => x.id === 'healthy')!;
    const text = JSON.stringify(
      await verifier.verify({ ...s, trigger: 'manual' }),
    );
    expect(text).not.toMatch(/eyJ[A-Za-z0-9_-]{10,}/); // a JWT
    expect(text).not.toMatch(/SecretAccessKey|SessionToken|AccessKeyId/);
  });

  it('reports each check through onCheck as it finishes, in order', async () => {
    const { verifier } = await setup();
    const s = SANDBOX_SCENARIOS.find(x => x.id === 'healthy')!;
    const seen: string[] = [];
    await verifier.verify(
      { ...s, trigger: 'manual' },
      { onCheck: c => seen.push(c.id) },
    );
    expect(seen).toEqual(IRSA_CHECK_IDS);
  });
});
