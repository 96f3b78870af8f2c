import { mockServices, mockCredentials } from '@backstage/backend-test-utils';
import { ConfigReader } from '@backstage/config';
import { AuthorizeResult } from '@backstage/plugin-permission-common';
import { createMockActionContext } from '@backstage/plugin-scaffolder-node-test-utils';
import {
  createSandboxIrsaService,
  SANDBOX_SCENARIOS,
} from '@backstage-irsa/plugin-irsa-node';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parse } from 'yaml';
import { createIrsaAction } from './createIrsaAction';
import { createExamples } from './createIrsaAction.examples';
import { createVerifyAction } from './verifyIrsaAction';

async function setup(
  result: AuthorizeResult.ALLOW | AuthorizeResult.DENY = AuthorizeResult.ALLOW,
) {
  const { service, sandbox } = await createSandboxIrsaService();
  const permissions = mockServices.permissions.mock({
    authorize: async requests => requests.map(() => ({ result })),
  });
  const create = createIrsaAction({
    service,
    permissions,
    config: new ConfigReader({}),
  });
  const events = { publish: jest.fn(), subscribe: jest.fn() };
  const verify = createVerifyAction({
    service,
    logger: mockServices.logger.mock(),
    events,
  });
  const workspacePath = await fs.mkdtemp(
    path.join(os.tmpdir(), 'irsa-action-'),
  );
  const writes = () =>
    sandbox.controls.calls.filter(c => c.write).map(c => c.operation);
  return {
    service,
    sandbox,
    permissions,
    create,
    verify,
    events,
    workspacePath,
    writes,
  };
}

// The mock context takes only some options; the rest (isDryRun) is set on it.
// Typed loosely: each action's handler takes its own input type.
function context(
  input: any,
  extra: { workspacePath?: string; isDryRun?: boolean } = {},
): any {
  const ctx = createMockActionContext({
    input,
    workspacePath: extra.workspacePath,
  });
  const info = jest.spyOn(ctx.logger, 'info');
  return Object.assign(ctx, { isDryRun: extra.isDryRun ?? false, info });
}
const logged = (ctx: { info: jest.SpyInstance }) =>
  ctx.info.mock.calls.map(c => String(c[0]));

describe('aws:irsa:create', () => {
  const examples = createExamples.map(
    e => [e.description, parse(e.example).steps[0].input] as const,
  );

  it.each(
    examples.filter(([, input]) => input.serviceAccountMode !== 'manifest'),
  )(
    'runs the example: %s (then aws:irsa:verify passes)',
    async (_description, input) => {
      const { create, verify, sandbox } = await setup();
      const ctx = context(input);
      await create.handler(ctx);
      expect(ctx.output).toHaveBeenCalledWith(
        'roleName',
        `irsa-sandbox-${input.namespace}-${input.serviceAccount}`,
      );
      sandbox.controls.createPod('sandbox', input.namespace, {
        name: `${input.serviceAccount}-1`,
        serviceAccountName: input.serviceAccount,
      });
      const check = context({
        cluster: 'sandbox',
        namespace: input.namespace,
        serviceAccount: input.serviceAccount,
        waitForPropagationSeconds: 0,
      });
      await verify.handler(check);
      expect(check.output).toHaveBeenCalledWith('status', 'pass');
    },
  );

  it.each(
    examples.filter(([, input]) => input.serviceAccountMode === 'manifest'),
  )(
    'runs the example: %s (the manifest is written)',
    async (_description, input) => {
      const { create, workspacePath, writes } = await setup();
      await create.handler(context(input, { workspacePath }));
      const yaml = await fs.readFile(
        path.join(workspacePath, input.manifestPath),
        'utf8',
      );
      expect(parse(yaml).metadata.annotations).toEqual({
        'eks.amazonaws.com/role-arn': `arn:aws:iam::111122223333:role/irsa-sandbox-${input.namespace}-${input.serviceAccount}`,
      });
      expect(writes()).not.toContain('createServiceAccount');
    },
  );

  it('checks irsa.role.create for the initiator before anything else', async () => {
    const { create, permissions, writes, sandbox } = await setup(
      AuthorizeResult.DENY,
    );
    await expect(
      create.handler(
        context({
          cluster: 'sandbox',
          namespace: 'shop',
          serviceAccount: 'cart',
          managedPolicyArns: ['arn:aws:iam::aws:policy/ReadOnlyAccess'],
        }),
      ),
    ).rejects.toThrow(
      'You are not allowed to create IRSA roles (permission irsa.role.create)',
    );
    expect(permissions.authorize).toHaveBeenCalledWith(
      [{ permission: expect.objectContaining({ name: 'irsa.role.create' }) }],
      { credentials: mockCredentials.user() },
    );
    expect(sandbox.controls.calls).toEqual([]);
    expect(writes()).toEqual([]);
  });

  it('prints the exact documents in a dry run and writes nothing', async () => {
    const { create, writes } = await setup();
    const ctx = context(
      {
        cluster: 'sandbox',
        namespace: 'shop',
        serviceAccount: 'cart',
        policy: {
          Version: '2012-10-17',
          Statement: [
            { Effect: 'Allow', Action: 's3:GetObject', Resource: '*' },
          ],
        },
      },
      { isDryRun: true },
    );
    await create.handler(ctx);
    expect(writes()).toEqual([]);
    const text = logged(ctx).join('\n');
    expect(text).toContain(
      'Dry run: nothing is written. Role arn:aws:iam::111122223333:role/irsa-sandbox-shop-cart (would be created)',
    );
    expect(text).toContain(
      '"oidc.eks.us-east-1.amazonaws.com/id/5A4D1E0B8C0F4E2B9D7A6C3E1F0B2D4A:sub": "system:serviceaccount:shop:cart"',
    );
    expect(text).toContain('"aws:SourceVpc": [\n');
    expect(text).toContain(
      'eks.amazonaws.com/role-arn: arn:aws:iam::111122223333:role/irsa-sandbox-shop-cart',
    );
    expect(ctx.output).toHaveBeenCalledWith(
      'roleArn',
      'arn:aws:iam::111122223333:role/irsa-sandbox-shop-cart',
    );
  });

  it('refuses a manifest path outside the workspace before any write', async () => {
    const { create, workspacePath, writes } = await setup();
    await expect(
      create.handler(
        context(
          {
            cluster: 'sandbox',
            namespace: 'shop',
            serviceAccount: 'cart',
            managedPolicyArns: ['arn:aws:iam::aws:policy/ReadOnlyAccess'],
            serviceAccountMode: 'manifest',
            manifestPath: '../../etc/x.yaml',
          },
          { workspacePath },
        ),
      ),
    ).rejects.toThrow(
      /Relative path is not allowed to refer to a directory outside its parent/,
    );
    expect(writes()).toEqual([]);
  });
});

describe('aws:irsa:verify', () => {
  it('fails the step with the failing check and its remediation', async () => {
    const { verify } = await setup();
    const s = SANDBOX_SCENARIOS.find(x => x.id === 'sa-not-annotated')!;
    await expect(
      verify.handler(
        context({
          cluster: s.cluster,
          namespace: s.namespace,
          serviceAccount: s.serviceAccount,
          roleArn: s.roleArn,
          waitForPropagationSeconds: 0,
        }),
      ),
    ).rejects.toThrow(
      'IRSA verification fail: ServiceAccount annotation: ServiceAccount orders/orders-worker has no eks.amazonaws.com/role-arn annotation (fix: kubectl annotate serviceaccount -n orders orders-worker eks.amazonaws.com/role-arn=arn:aws:iam::111122223333:role/irsa-sandbox-orders-orders-worker --overwrite)',
    );
  });

  it('narrates every check and publishes the report for the entity', async () => {
    const { verify, events } = await setup();
    const s = SANDBOX_SCENARIOS.find(x => x.id === 'healthy')!;
    const ctx = context({
      cluster: s.cluster,
      namespace: s.namespace,
      serviceAccount: s.serviceAccount,
      entityRef: 'component:default/payments-api',
    });
    await verify.handler(ctx);
    const lines = logged(ctx);
    expect(lines[0]).toBe('Verifying payments/payments-api on sandbox');
    expect(lines.filter(l => l.startsWith('PASS'))).toHaveLength(11);
    expect(ctx.output).toHaveBeenCalledWith('status', 'pass');
    expect(events.publish).toHaveBeenCalledWith({
      topic: 'irsa.report',
      eventPayload: {
        entityRef: 'component:default/payments-api',
        report: expect.objectContaining({
          status: 'pass',
          trigger: 'provision',
        }),
      },
    });
  });
});
