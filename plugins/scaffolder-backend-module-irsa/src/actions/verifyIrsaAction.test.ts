import type { BackstageCredentials } from '@backstage/backend-plugin-api';
import { mockCredentials, mockServices } from '@backstage/backend-test-utils';
import { AuthorizeResult } from '@backstage/plugin-permission-common';
import type { JsonObject } from '@backstage/types';
import { createMockActionContext } from '@backstage/plugin-scaffolder-node-test-utils';
import { DefaultVerifier } from '@backstage-irsa/plugin-irsa-node';
import {
  createSandboxIrsaService,
  SANDBOX_SCENARIOS,
  SANDBOX_WIRING_SCENARIOS,
} from '@backstage-irsa/plugin-irsa-sandbox';
import { createVerifyAction } from './verifyIrsaAction';

const scenario = (id: string) => SANDBOX_SCENARIOS.find(s => s.id === id)!;
const healthy = scenario('healthy');

async function setup(
  decide: (
    resourceRef?: string,
  ) => AuthorizeResult.ALLOW | AuthorizeResult.DENY = () =>
    AuthorizeResult.ALLOW,
) {
  const { service, sandbox } = await createSandboxIrsaService();
  const permissions = mockServices.permissions.mock({
    authorize: async requests =>
      requests.map(r => ({
        result: decide('resourceRef' in r ? r.resourceRef : undefined),
      })),
  });
  const verifier = new DefaultVerifier({
    service,
    logger: mockServices.logger.mock(),
  });
  const events = mockServices.events.mock();
  const verify = createVerifyAction({
    verifier,
    clusters: service.clusters,
    permissions,
    events,
  });
  sandbox.controls.resetCalls();
  return { sandbox, permissions, verify, events };
}

// The mock context takes only some options; credentials are swapped in.
function context(
  input: Record<string, unknown>,
  credentials?: BackstageCredentials,
) {
  const ctx = createMockActionContext({ input: input as JsonObject });
  const info = jest.spyOn(ctx.logger, 'info');
  if (credentials)
    ctx.getInitiatorCredentials = () => Promise.resolve(credentials);
  return Object.assign(ctx, { info });
}
const logged = (ctx: { info: jest.SpyInstance }) =>
  ctx.info.mock.calls.map(c => String(c[0]));

// The handler is typed for the schema's input; tests also send what the
// schema would let through to it from a careless template.
type Handler = (ctx: ReturnType<typeof context>) => Promise<void>;
const run = (verify: { handler: unknown }, ctx: ReturnType<typeof context>) =>
  (verify.handler as Handler)(ctx);

const valid = {
  cluster: healthy.cluster,
  namespace: healthy.namespace,
  serviceAccount: healthy.serviceAccount,
  entityRef: healthy.entityRef,
};

describe('aws:irsa:verify', () => {
  it.each([
    [
      { cluster: 'prod' },
      'cluster: must be one of the clusters configured under irsa.clusters (sandbox, sandbox-legacy)',
    ],
    [
      { namespace: 'Payments' },
      'namespace: must be a DNS-1123 label (lowercase letters, digits and "-", at most 63)',
    ],
    [
      { serviceAccount: 'api;rm' },
      'serviceAccount: must be a DNS-1123 subdomain (lowercase letters, digits, "-" and ".")',
    ],
    [
      { roleArn: 'arn:aws:iam::111122223333:role/$(rm -rf /)' },
      'roleArn: must be an IAM role ARN such as arn:aws:iam::123456789012:role/my-role',
    ],
    [
      { mechanism: 'kiam' },
      'mechanism: must be one of irsa, pod-identity (or empty)',
    ],
    [{ entityRef: undefined }, 'entityRef: must be a non-empty string'],
    [
      { entityRef: 'payments-api' },
      'entityRef: must be an entity reference such as component:default/my-service',
    ],
  ])('refuses %j before asking anyone anything', async (change, message) => {
    const { verify, sandbox, permissions } = await setup();
    const ctx = context({ ...valid, ...change });
    const failure = run(verify, ctx);
    await expect(failure).rejects.toThrow(message);
    await expect(failure).rejects.toMatchObject({ name: 'InputError' });
    expect(permissions.authorize).not.toHaveBeenCalled();
    expect(sandbox.controls.calls).toEqual([]);
    expect(ctx.output).not.toHaveBeenCalled();
  });

  it("asks irsa.entity.verify on the entity for the task's initiator, and refuses on DENY", async () => {
    const { verify, sandbox, permissions } = await setup(ref =>
      ref === 'component:default/payments-api'
        ? AuthorizeResult.DENY
        : AuthorizeResult.ALLOW,
    );
    const user = mockCredentials.user('user:default/mallory');
    const ctx = context(valid, user);
    await expect(run(verify, ctx)).rejects.toMatchObject({
      name: 'NotAllowedError',
      message:
        "entityRef: the task's initiator may not verify component:default/payments-api (irsa.entity.verify)",
    });
    expect(permissions.authorize).toHaveBeenCalledWith(
      [
        {
          permission: expect.objectContaining({
            name: 'irsa.entity.verify',
            resourceType: 'catalog-entity',
          }),
          resourceRef: 'component:default/payments-api',
        },
      ],
      { credentials: user },
    );
    expect(sandbox.controls.calls).toEqual([]);
  });

  it('refuses a service principal the permission framework would wave through, unless its access restrictions name the permission', async () => {
    const { verify, sandbox } = await setup();
    const service = mockCredentials.service('external:ci');
    await expect(run(verify, context(valid, service))).rejects.toMatchObject({
      name: 'NotAllowedError',
    });
    expect(sandbox.controls.calls).toEqual([]);

    const restricted = mockCredentials.service('external:ci', {
      permissionNames: ['irsa.entity.verify'],
    });
    const ctx = context(valid, restricted);
    await run(verify, ctx);
    expect(ctx.output).toHaveBeenCalledWith('status', 'pass');
  });

  it("refuses a forged entityRef: another entity's ServiceAccount fails the binding and nothing of it is shown", async () => {
    const { verify, sandbox } = await setup();
    const victim = scenario('allowlist-missing-nat');
    const ctx = context({
      cluster: victim.cluster,
      namespace: victim.namespace,
      serviceAccount: victim.serviceAccount,
      entityRef: healthy.entityRef,
      waitForPropagationSeconds: 0,
    });
    await expect(run(verify, ctx)).rejects.toThrow(
      /^IRSA verification fail: Ownership binding: Not bound to this entity: the role is tagged irsa.dev\/entity-ref for another entity/,
    );
    const report = jest
      .mocked(ctx.output)
      .mock.calls.find(c => c[0] === 'report')![1];
    expect(report.policies).toEqual([]);
    expect(JSON.stringify(report)).not.toContain('ReadDemoBucket');
    expect(
      sandbox.controls.calls
        .map(c => c.operation)
        .filter(o =>
          [
            'requestServiceAccountToken',
            'listAttachedRolePolicies',
            'getPolicyVersion',
            'assumeRoleWithWebIdentity',
          ].includes(o),
        ),
    ).toEqual([]);
  });

  it('fails the step with the failing check and its remediation', async () => {
    const { verify } = await setup();
    const s = scenario('sa-not-annotated');
    await expect(
      run(
        verify,
        context({
          cluster: s.cluster,
          namespace: s.namespace,
          serviceAccount: s.serviceAccount,
          roleArn: s.roleArn,
          entityRef: s.entityRef,
          waitForPropagationSeconds: 0,
        }),
      ),
    ).rejects.toThrow(
      'IRSA verification fail: ServiceAccount annotation: ServiceAccount orders/orders-worker has no eks.amazonaws.com/role-arn annotation (fix: kubectl annotate serviceaccount -n orders orders-worker eks.amazonaws.com/role-arn=arn:aws:iam::111122223333:role/irsa-sandbox-orders-orders-worker --overwrite)',
    );
  });

  it('narrates every check, writes status and report to the outputs, and only asks the backend to verify the entity itself', async () => {
    const { verify, events } = await setup();
    const ctx = context(valid);
    await run(verify, ctx);
    const lines = logged(ctx);
    expect(lines[0]).toBe(
      'Verifying payments/payments-api on sandbox for component:default/payments-api',
    );
    // The IRSA checks and the two for both mechanisms (conflict, shadowing).
    expect(lines.filter(l => l.startsWith('PASS'))).toHaveLength(14);
    expect(lines[1]).toMatch(/^PASS {4}Ownership binding: /);
    expect(lines[lines.length - 1]).toBe('All checks passed');
    expect(jest.mocked(ctx.output).mock.calls.map(c => c[0])).toEqual([
      'status',
      'report',
    ]);
    expect(ctx.output).toHaveBeenCalledWith('status', 'pass');
    expect(ctx.output).toHaveBeenCalledWith(
      'report',
      expect.objectContaining({
        entityRef: 'component:default/payments-api',
        environment: 'sandbox',
        status: 'pass',
        trigger: 'provision',
      }),
    );
    // The event names the entity and nothing else: no status, no report, no time.
    expect(events.publish).toHaveBeenCalledTimes(1);
    expect(events.publish).toHaveBeenCalledWith({
      topic: 'irsa.verify-requested',
      eventPayload: { entityRef: 'component:default/payments-api' },
    });
  });

  it('verifies a Pod Identity workload with the mechanism aws:irsa:create reports, running its checks', async () => {
    const { verify } = await setup();
    const s = SANDBOX_WIRING_SCENARIOS.find(
      w => w.id === 'pod-identity-healthy',
    )!;
    const ctx = context({
      cluster: s.cluster,
      namespace: s.namespace,
      serviceAccount: s.serviceAccount,
      roleArn: s.roleArn,
      mechanism: 'pod-identity',
      entityRef: s.entityRef,
      waitForPropagationSeconds: 0,
    });
    await run(verify, ctx);
    expect(ctx.output).toHaveBeenCalledWith('status', 'pass');
    const report = jest
      .mocked(ctx.output)
      .mock.calls.find(c => c[0] === 'report')![1] as {
      mechanism: string;
      checks: Array<{ id: string }>;
    };
    expect(report.mechanism).toBe('pod-identity');
    expect(report.checks.map(c => c.id)).toEqual(
      expect.arrayContaining([
        'pod-identity-agent',
        'pod-identity-association',
        'pod-identity-trust',
        'pod-identity-injection',
      ]),
    );
    expect(report.checks.map(c => c.id)).not.toContain('trust-audience');
  });
});
