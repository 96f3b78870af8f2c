import { mockServices } from '@backstage/backend-test-utils';
import type { VerificationReport } from '@backstage-irsa/plugin-irsa-common';
import {
  createSandboxIrsaService,
  SANDBOX_SCENARIOS,
} from '@backstage-irsa/plugin-irsa-sandbox';
import { DefaultVerifier } from './DefaultVerifier';

const scenario = (id: string) => SANDBOX_SCENARIOS.find(s => s.id === id)!;
const healthy = scenario('healthy'); // payments-api
const victim = scenario('sa-not-annotated'); // orders-worker

async function setup(requireBinding?: boolean) {
  const { service, sandbox } = await createSandboxIrsaService();
  const verifier = new DefaultVerifier({
    service,
    logger: mockServices.logger.mock(),
    ...(requireBinding === undefined ? {} : { requireBinding }),
  });
  sandbox.controls.resetCalls();
  const operations = () => sandbox.controls.calls.map(c => c.operation);
  return { service, sandbox, verifier, operations };
}

const check = (report: VerificationReport, id: string) =>
  report.checks.find(c => c.id === id)!;

// Every call that reads a role's documents or acts as the ServiceAccount.
const PRIVATE_READS = [
  'listAttachedRolePolicies',
  'listRolePolicies',
  'getPolicy',
  'getPolicyVersion',
  'getRolePolicy',
  'listPodsForServiceAccount',
  'requestServiceAccountToken',
  'assumeRoleWithWebIdentity',
  'lookupEvents',
];

function expectNothingOfTheRoleShown(report: VerificationReport) {
  expect(report.status).toBe('fail');
  expect(report.policies).toEqual([]);
  expect(report.allowlist).toEqual([]);
  const text = JSON.stringify(report);
  // The victim's permissions document names its bucket and Sid.
  expect(text).not.toContain('ReadDemoBucket');
  expect(text).not.toContain('arn:aws:s3:::demo-');
  expect(text).not.toContain('Statement');
  for (const id of [
    'role',
    'trust-principal',
    'trust-subject',
    'trust-audience',
    'service-account',
    'pod-injection',
    'permissions',
    'allowlist',
    'credential-exchange',
    'cloudtrail',
  ]) {
    expect(check(report, id)).toMatchObject({
      status: 'skipped',
      message: 'Not shown: role not bound to this entity',
      evidence: {},
    });
  }
}

describe('DefaultVerifier binding (confused deputy)', () => {
  it("refuses entity A annotated with entity B's ServiceAccount and role: no documents, no token, no pods", async () => {
    const { verifier, operations } = await setup();
    const report = await verifier.verify({
      cluster: victim.cluster,
      namespace: victim.namespace,
      serviceAccount: victim.serviceAccount,
      roleArn: victim.roleArn,
      entityRef: healthy.entityRef,
      trigger: 'manual',
    });
    expect(check(report, 'binding')).toMatchObject({
      status: 'fail',
      message:
        'Not bound to this entity: the role is tagged irsa.dev/entity-ref for another entity',
      remediation:
        "The role belongs to another entity: point irsa.dev/role-arn at this entity's own role, or run the IRSA template (aws:irsa:create) for this entity",
    });
    expectNothingOfTheRoleShown(report);
    expect(operations().filter(o => PRIVATE_READS.includes(o))).toEqual([]);
  });

  it("refuses B's role through A's own ServiceAccount", async () => {
    const { verifier, operations } = await setup();
    const report = await verifier.verify({
      cluster: healthy.cluster,
      namespace: healthy.namespace,
      serviceAccount: healthy.serviceAccount,
      roleArn: victim.roleArn,
      entityRef: healthy.entityRef,
      trigger: 'manual',
    });
    expect(
      (
        check(report, 'binding').evidence.rules as Array<{
          rule: string;
          ok: boolean;
        }>
      )
        .filter(r => !r.ok)
        .map(r => r.rule),
    ).toEqual(['role-owner', 'role-target', 'service-account-role']);
    expectNothingOfTheRoleShown(report);
    // Nor where B's role is used: its ServiceAccount and cluster tags.
    expect(JSON.stringify(report)).not.toContain(
      `${victim.namespace}/${victim.serviceAccount}`,
    );
    expect(operations().filter(o => PRIVATE_READS.includes(o))).toEqual([]);
  });

  it("refuses B's ServiceAccount when A gives no role ARN (the ARN would come from B's ServiceAccount)", async () => {
    const { verifier, operations } = await setup();
    const pods = scenario('pods-before-annotation'); // annotated by now
    const report = await verifier.verify({
      cluster: pods.cluster,
      namespace: pods.namespace,
      serviceAccount: pods.serviceAccount,
      entityRef: healthy.entityRef,
      trigger: 'manual',
    });
    expect(check(report, 'binding').status).toBe('fail');
    expectNothingOfTheRoleShown(report);
    // Neither the foreign ServiceAccount's role ARN nor its name is shown.
    expect(report.roleArn).toBeUndefined();
    expect(JSON.stringify(report)).not.toContain(pods.roleArn);
    expect(operations().filter(o => PRIVATE_READS.includes(o))).toEqual([]);
  });

  it('refuses a role in another account without looking it up', async () => {
    const { verifier, operations } = await setup();
    const report = await verifier.verify({
      ...healthy,
      roleArn:
        'arn:aws:iam::999988887777:role/irsa-sandbox-payments-payments-api',
      trigger: 'manual',
    });
    expect(check(report, 'binding')).toMatchObject({
      status: 'fail',
      message:
        'Not bound to this entity: the role ARN names account 999988887777; cluster sandbox is in 111122223333, where its IRSA roles live',
      remediation:
        'Point irsa.dev/role-arn at a role in account 111122223333, or run the IRSA template (aws:irsa:create) for this entity',
    });
    expectNothingOfTheRoleShown(report);
    expect(operations()).not.toContain('getRole');
    expect(operations().filter(o => PRIVATE_READS.includes(o))).toEqual([]);
  });

  it('refuses an ARN whose path differs from the real role of that name', async () => {
    const { verifier, operations } = await setup();
    const report = await verifier.verify({
      ...healthy,
      roleArn:
        'arn:aws:iam::111122223333:role/other/irsa-sandbox-payments-payments-api',
      trigger: 'manual',
    });
    expect(check(report, 'binding').message).toBe(
      'Not bound to this entity: the ARN names path /other/, but the role named irsa-sandbox-payments-payments-api is at /: a different role',
    );
    expectNothingOfTheRoleShown(report);
    expect(operations().filter(o => PRIVATE_READS.includes(o))).toEqual([]);
  });

  it('fails the binding of a request without entityRef (library use)', async () => {
    const { verifier, operations } = await setup();
    const { entityRef: _none, ...request } = healthy;
    const report = await verifier.verify({ ...request, trigger: 'manual' });
    expect(check(report, 'binding')).toMatchObject({
      status: 'fail',
      message:
        'Not bound to this entity: no entity ref: a verification without one cannot prove whose role this is',
    });
    expectNothingOfTheRoleShown(report);
    expect(operations().filter(o => PRIVATE_READS.includes(o))).toEqual([]);
  });

  it('passes for a ServiceAccount nobody annotated when the role is tagged for it', async () => {
    const { verifier, service } = await setup();
    await service.kubernetes.createServiceAccount('sandbox', {
      namespace: 'payments',
      name: 'payments-cron',
      annotations: {},
    });
    const role = await service.iam.getRole(
      { accountId: '111122223333', region: 'us-east-1' },
      'irsa-sandbox-payments-payments-api',
    );
    // Same role, but its tag names payments-api: the cron's SA is not tied to it.
    const report = await verifier.verify({
      cluster: 'sandbox',
      namespace: 'payments',
      serviceAccount: 'payments-cron',
      roleArn: role.arn,
      entityRef: healthy.entityRef,
      trigger: 'manual',
    });
    expect(check(report, 'binding').message).toBe(
      'Not bound to this entity: the role is tagged for ServiceAccount payments/payments-api on cluster sandbox, not payments/payments-cron on sandbox',
    );
  });

  it('with requireBinding off, warns and runs the other checks', async () => {
    const { verifier, operations } = await setup(false);
    const report = await verifier.verify({
      ...victim,
      entityRef: healthy.entityRef,
      trigger: 'manual',
    });
    expect(check(report, 'binding')).toMatchObject({
      status: 'warn',
      message:
        'Not bound to this entity: the role is tagged irsa.dev/entity-ref for another entity (irsa.verification.requireBinding is off: the other checks still run)',
    });
    expect(check(report, 'service-account').status).toBe('fail');
    expect(report.policies.map(p => p.name)).toEqual([
      'irsa-sandbox-orders-orders-worker',
      'irsa-sandbox-orders-orders-worker-allowlist',
    ]);
    expect(operations()).toContain('requestServiceAccountToken');
  });
});
