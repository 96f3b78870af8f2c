import { mockServices } from '@backstage/backend-test-utils';
import {
  EKS_AUDIENCE_ANNOTATION,
  EKS_ROLE_ARN_ANNOTATION,
  type VerificationReport,
} from '@backstage-irsa/plugin-irsa-common';
import { GatewayError } from '../gateways/errors';
import {
  createSandboxIrsaService,
  SANDBOX_SCENARIOS,
} from '@backstage-irsa/plugin-irsa-sandbox';
import { DefaultVerifier } from './DefaultVerifier';

const scenario = (id: string) => SANDBOX_SCENARIOS.find(s => s.id === id)!;
const healthy = scenario('healthy');

async function setup(
  options: Omit<
    ConstructorParameters<typeof DefaultVerifier>[0],
    'service' | 'logger'
  > = {},
) {
  const { service, sandbox } = await createSandboxIrsaService();
  const verifier = new DefaultVerifier({
    service,
    logger: mockServices.logger.mock(),
    ...options,
  });
  sandbox.controls.resetCalls();
  const operations = () => sandbox.controls.calls.map(c => c.operation);
  return { service, sandbox, verifier, operations };
}

const check = (report: VerificationReport, id: string) =>
  report.checks.find(c => c.id === id)!;

describe('DefaultVerifier fixes', () => {
  it('finds the role by its default name when neither entity nor ServiceAccount names it', async () => {
    const { verifier } = await setup();
    const s = scenario('sa-not-annotated');
    const report = await verifier.verify({
      cluster: s.cluster,
      namespace: s.namespace,
      serviceAccount: s.serviceAccount,
      entityRef: s.entityRef,
      trigger: 'manual',
    });
    expect(report.roleArn).toBe(s.roleArn);
    expect(check(report, 'role').evidence.roleArnSource).toBe('default-name');
    expect(check(report, 'service-account').remediation).toBe(
      `kubectl annotate serviceaccount -n orders orders-worker ${EKS_ROLE_ARN_ANNOTATION}=${s.roleArn} --overwrite`,
    );
    expect(JSON.stringify(report)).not.toContain('undefined');
  });

  // An owned ServiceAccount in a namespace where no role exists at all.
  async function verifyWithoutRole(requireBinding: boolean) {
    const { verifier, service } = await setup({ requireBinding });
    await service.kubernetes.createServiceAccount('sandbox', {
      namespace: 'payments',
      name: 'payments-batch',
      annotations: { 'irsa.dev/entity-ref': healthy.entityRef },
    });
    return verifier.verify({
      cluster: 'sandbox',
      namespace: 'payments',
      serviceAccount: 'payments-batch',
      entityRef: healthy.entityRef,
      trigger: 'manual',
    });
  }
  const ROLE_UNKNOWN =
    'role unknown: the entity has no irsa.dev/role-arn, the ServiceAccount no eks.amazonaws.com/role-arn, and no role named irsa-sandbox-payments-payments-batch exists';

  it.each([
    [true, 'fail'],
    [false, 'warn'],
  ])(
    'says "role unknown" with the template to run, never undefined (requireBinding %s)',
    async (requireBinding, status) => {
      const report = await verifyWithoutRole(requireBinding);
      expect(check(report, 'binding')).toMatchObject({
        status,
        remediation:
          'To create the role and annotate the ServiceAccount, run the IRSA template (aws:irsa:create) for this entity',
      });
      expect(check(report, 'binding').message).toMatch(
        `Not bound to this entity: ${ROLE_UNKNOWN}`,
      );
      expect(JSON.stringify(report)).not.toContain('undefined');
    },
  );

  it('with the binding relaxed, the role and ServiceAccount checks say the same without undefined', async () => {
    const report = await verifyWithoutRole(false);
    expect(check(report, 'role')).toMatchObject({
      status: 'fail',
      message: `R${ROLE_UNKNOWN.slice(1)}`,
      remediation:
        'No role yet: run the IRSA template (aws:irsa:create) for this entity to create the role and annotate the ServiceAccount; or set irsa.dev/role-arn in catalog-info.yaml',
    });
    expect(check(report, 'service-account').remediation).toBe(
      'No role to annotate with yet: run the IRSA template (aws:irsa:create) for this entity to create the role and annotate the ServiceAccount',
    );
  });

  it('shell-quotes a role ARN from an annotation in the remediation command', async () => {
    const { verifier } = await setup({ requireBinding: false });
    const s = scenario('sa-not-annotated');
    const hostile = `arn:aws:iam::111122223333:role/$(reboot)/irsa-sandbox-orders-orders-worker`;
    const report = await verifier.verify({
      ...s,
      roleArn: hostile,
      trigger: 'manual',
    });
    expect(check(report, 'service-account').remediation).toBe(
      `kubectl annotate serviceaccount -n orders orders-worker ${EKS_ROLE_ARN_ANNOTATION}='${hostile}' --overwrite`,
    );
  });

  it('requests the token for the audience on the ServiceAccount and checks the trust for it', async () => {
    const { service } = await setup();
    await service.kubernetes.patchServiceAccountAnnotations(
      healthy.cluster,
      healthy.namespace,
      healthy.serviceAccount,
      { [EKS_AUDIENCE_ANNOTATION]: 'vault.example.com' },
    );
    // Records TokenRequest's arguments on the way through.
    const tokenRequests: unknown[][] = [];
    const kubernetes = new Proxy(service.kubernetes, {
      get: (target, property, receiver) =>
        property === 'requestServiceAccountToken'
          ? (...args: Parameters<typeof target.requestServiceAccountToken>) => {
              tokenRequests.push(args);
              return target.requestServiceAccountToken(...args);
            }
          : Reflect.get(target, property, receiver),
    });
    const report = await new DefaultVerifier({
      service: { ...service, kubernetes },
      logger: mockServices.logger.mock(),
    }).verify({ ...healthy, trigger: 'manual' });
    expect(tokenRequests).toEqual([
      [
        'sandbox',
        'payments',
        'payments-api',
        { audience: 'vault.example.com', expirationSeconds: 600 },
      ],
    ]);
    expect(check(report, 'trust-audience')).toMatchObject({
      status: 'fail',
      message:
        'The trust policy expects audience sts.amazonaws.com, tokens carry vault.example.com',
    });
    expect(check(report, 'oidc-provider').message).toBe(
      'The OIDC provider does not list the audience vault.example.com',
    );
  });

  it('maps gateway errors to short phrases: no parser text, no other accounts', async () => {
    const { verifier, sandbox } = await setup();
    sandbox.controls.failNext(
      'lookupEvents',
      new GatewayError({
        kind: 'unavailable',
        operation: 'cloudtrail:LookupEvents',
        message:
          'Deserialization error: to see the raw response, inspect $response',
        code: 'Deserialization error: <html>',
      }),
    );
    sandbox.controls.failNext(
      'assumeRoleWithWebIdentity',
      new GatewayError({
        kind: 'access-denied',
        operation: 'sts:AssumeRoleWithWebIdentity',
        message:
          'User: arn:aws:sts::999988887777:assumed-role/other/x is not authorized',
        code: 'AccessDenied',
        requestId: 'c0ffee00-1111-2222-3333-444455556666',
      }),
    );
    const report = await verifier.verify(
      { ...healthy, trigger: 'manual' },
      { waitForPropagationMs: 0 },
    );
    expect(check(report, 'cloudtrail')).toMatchObject({
      status: 'unknown',
      message:
        'Could not check: cloudtrail:LookupEvents failed: cloudtrail:LookupEvents: unavailable (no usable answer)',
    });
    expect(check(report, 'credential-exchange')).toMatchObject({
      status: 'fail',
      message: 'AssumeRoleWithWebIdentity was refused: AccessDenied',
      evidence: {
        code: 'AccessDenied',
        reason:
          "sts:AssumeRoleWithWebIdentity: access denied to Backstage's identity (AccessDenied, request id c0ffee00-1111-2222-3333-444455556666)",
      },
    });
    const text = JSON.stringify(report);
    expect(text).not.toContain('Deserialization');
    expect(text).not.toContain('999988887777');
  });

  it('keeps only identifying fields of CloudTrail events', async () => {
    const { verifier, sandbox } = await setup();
    const eventTime = new Date(Date.now() - 60_000).toISOString();
    sandbox.controls.recordCloudTrailEvent({
      region: 'us-east-1',
      eventName: 'GetObject',
      eventSource: 's3.amazonaws.com',
      errorCode: 'AccessDenied',
      errorMessage:
        'User: arn:aws:sts::999988887777:assumed-role/x is not authorized',
      username: 'someone-else',
      resourceNames: [healthy.roleArn],
      eventTime,
    });
    const report = await verifier.verify({ ...healthy, trigger: 'manual' });
    expect(check(report, 'cloudtrail').evidence).toEqual({
      events: [
        {
          eventTime,
          eventName: 'GetObject',
          eventSource: 's3.amazonaws.com',
          errorCode: 'AccessDenied',
        },
      ],
    });
  });

  it('bounds the CloudTrail cache, evicting the least recently used role', async () => {
    const { verifier, operations } = await setup({
      cloudTrail: { maxEntries: 2 },
    });
    const [a, b, c] = [
      'healthy',
      'pods-before-annotation',
      'allowlist-missing-nat',
    ].map(scenario);
    const lookups = () => operations().filter(o => o === 'lookupEvents').length;
    const run = (s: typeof a) => verifier.verify({ ...s, trigger: 'manual' });
    await run(a);
    await run(b);
    await run(a); // cached; a becomes the most recently used
    expect(lookups()).toBe(2);
    await run(c); // evicts b, not a
    expect(verifier.cachedCloudTrailRoles()).toEqual([
      `111122223333/us-east-1/${a.roleArn}`,
      `111122223333/us-east-1/${c.roleArn}`,
    ]);
    await run(a);
    expect(lookups()).toBe(3);
    await run(b);
    expect(lookups()).toBe(4);
    expect(verifier.cachedCloudTrailRoles()).toHaveLength(2);
  });

  it('makes no gateway call once the signal is aborted, and says so', async () => {
    const { verifier, operations } = await setup();
    const before = new AbortController();
    before.abort();
    const report = await verifier.verify(
      { ...healthy, trigger: 'manual' },
      { signal: before.signal },
    );
    expect(operations()).toEqual([]);
    expect(report).toMatchObject({ status: 'unknown', aborted: true });
    expect(check(report, 'binding').message).toBe(
      'Could not check: the verification was cancelled',
    );
  });

  it('stops calling gateways when aborted mid-run', async () => {
    const { service, sandbox, operations } = await setup();
    // The shared facts cache finishes a fetch it started for everyone;
    // warm it so every call below is this run's own.
    await service.facts.get(healthy.cluster);
    sandbox.controls.resetCalls();
    const controller = new AbortController();
    // The run is cancelled while IAM answers GetRole.
    const iam = new Proxy(service.iam, {
      get: (target, property, receiver) =>
        property === 'getRole'
          ? (...args: Parameters<typeof target.getRole>) => {
              controller.abort();
              return target.getRole(...args);
            }
          : Reflect.get(target, property, receiver),
    });
    const verifier = new DefaultVerifier({
      service: { ...service, iam },
      logger: mockServices.logger.mock(),
    });
    const report = await verifier.verify(
      { ...healthy, trigger: 'manual' },
      { signal: controller.signal },
    );
    const after = operations().slice(operations().indexOf('getRole') + 1);
    expect(after).toEqual([]);
    expect(report).toMatchObject({ status: 'unknown', aborted: true });
  });

  it('marks every report with where it was made', async () => {
    const { verifier } = await setup();
    const report = await verifier.verify({ ...healthy, trigger: 'manual' });
    expect(report.environment).toBe('sandbox');
  });
});
