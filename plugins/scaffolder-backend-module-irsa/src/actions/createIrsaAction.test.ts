import { mockCredentials, mockServices } from '@backstage/backend-test-utils';
import type { BackstageCredentials } from '@backstage/backend-plugin-api';
import { ConfigReader } from '@backstage/config';
import { InputError } from '@backstage/errors';
import { AuthorizeResult } from '@backstage/plugin-permission-common';
import { createMockActionContext } from '@backstage/plugin-scaffolder-node-test-utils';
import {
  DefaultProvisioner,
  DefaultVerifier,
} from '@backstage-irsa/plugin-irsa-node';
import { createSandboxIrsaService } from '@backstage-irsa/plugin-irsa-sandbox';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parse } from 'yaml';
import { createIrsaAction } from './createIrsaAction';
import { createExamples } from './createIrsaAction.examples';

const cart = {
  cluster: 'sandbox',
  namespace: 'shop',
  serviceAccount: 'cart',
  managedPolicyArns: ['arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess'],
  entityRef: 'component:default/cart',
  owner: 'group:default/shop',
};

/** Permission decisions by permission name (ALLOW when absent). */
async function setup(decisions: Record<string, AuthorizeResult> = {}) {
  const { service, sandbox } = await createSandboxIrsaService();
  const permissions = mockServices.permissions.mock({
    authorize: async requests =>
      requests.map(r => ({
        result: (decisions[r.permission.name] ?? AuthorizeResult.ALLOW) as
          AuthorizeResult.ALLOW | AuthorizeResult.DENY,
      })),
  });
  const logger = mockServices.logger.mock();
  const create = createIrsaAction({
    provisioner: DefaultProvisioner.fromConfig({
      service,
      logger,
      config: new ConfigReader({}),
    }),
    permissions,
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
    workspacePath,
    writes,
    logger,
  };
}

function context(
  input: Record<string, unknown>,
  extra: {
    workspacePath?: string;
    isDryRun?: boolean;
    credentials?: BackstageCredentials;
  } = {},
) {
  const ctx = createMockActionContext({
    input: input as never,
    workspacePath: extra.workspacePath,
  });
  const info = jest.spyOn(ctx.logger, 'info');
  return Object.assign(ctx, {
    isDryRun: extra.isDryRun ?? false,
    info,
    ...(extra.credentials
      ? { getInitiatorCredentials: async () => extra.credentials! }
      : {}),
  });
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
    'runs the example: %s (then the verifier passes every check it runs)',
    async (_d, input) => {
      const { create, service, sandbox, logger } = await setup();
      const ctx = context(input);
      await create.handler(ctx as never);
      const roleArn = `arn:aws:iam::111122223333:role/irsa-sandbox-${input.namespace}-${input.serviceAccount}`;
      expect(ctx.output).toHaveBeenCalledWith('roleArn', roleArn);
      sandbox.controls.createPod('sandbox', input.namespace, {
        name: `${input.serviceAccount}-1`,
        serviceAccountName: input.serviceAccount,
      });
      const report = await new DefaultVerifier({ service, logger }).verify({
        cluster: 'sandbox',
        namespace: input.namespace,
        serviceAccount: input.serviceAccount,
        roleArn,
        entityRef: input.entityRef,
        trigger: 'provision',
      });
      // The live Pod Identity exchange is opt-in (irsa.verification.podIdentityExchange).
      expect(
        report.checks
          .filter(c => c.status !== 'pass')
          .map(c => [c.id, c.status]),
      ).toEqual(
        input.mechanism === 'pod-identity'
          ? [['pod-identity-exchange', 'skipped']]
          : [],
      );
    },
  );

  it.each(
    examples.filter(([, input]) => input.serviceAccountMode === 'manifest'),
  )('runs the example: %s (the manifest is written)', async (_d, input) => {
    const { create, workspacePath, writes } = await setup();
    await create.handler(context(input, { workspacePath }) as never);
    const yaml = await fs.readFile(
      path.join(workspacePath, input.manifestPath),
      'utf8',
    );
    expect(parse(yaml).metadata).toEqual({
      name: input.serviceAccount,
      namespace: input.namespace,
      labels: { 'irsa.dev/managed-by': 'backstage-irsa' },
      annotations: {
        'eks.amazonaws.com/role-arn': `arn:aws:iam::111122223333:role/irsa-sandbox-${input.namespace}-${input.serviceAccount}`,
        'irsa.dev/entity-ref': input.entityRef,
        'irsa.dev/owner': input.owner,
      },
    });
    expect(writes()).not.toContain('createServiceAccount');
  });

  it('checks irsa.role.create for the initiator before anything else', async () => {
    const { create, permissions, sandbox } = await setup({
      'irsa.role.create': AuthorizeResult.DENY,
    });
    await expect(create.handler(context(cart) as never)).rejects.toThrow(
      'You are not allowed to create IRSA roles (permission irsa.role.create)',
    );
    expect(permissions.authorize).toHaveBeenCalledWith(
      [{ permission: expect.objectContaining({ name: 'irsa.role.create' }) }],
      { credentials: mockCredentials.user() },
    );
    expect(sandbox.controls.calls).toEqual([]);
  });

  it('refuses a service principal that its access restrictions do not explicitly allow, though the policy would', async () => {
    const { create, permissions, sandbox } = await setup();
    await expect(
      create.handler(
        context(cart, {
          credentials: mockCredentials.service('external:ci'),
        }) as never,
      ),
    ).rejects.toThrow('permission irsa.role.create');
    expect(permissions.authorize).not.toHaveBeenCalled();
    expect(sandbox.controls.calls).toEqual([]);

    const allowed = mockCredentials.service('external:ci', {
      permissionNames: ['irsa.role.create'],
    });
    const ctx = context(cart, { credentials: allowed });
    await create.handler(ctx as never);
    expect(ctx.output).toHaveBeenCalledWith(
      'roleArn',
      'arn:aws:iam::111122223333:role/irsa-sandbox-shop-cart',
    );
  });

  it('asks irsa.role.adopt on the entity and on the current owner before taking over', async () => {
    const { create, permissions, writes, sandbox } = await setup({
      'irsa.role.adopt': AuthorizeResult.DENY,
    });
    await create.handler(
      context({ ...cart, entityRef: 'component:default/old-cart' }) as never,
    );
    sandbox.controls.resetCalls();
    await expect(
      create.handler(context({ ...cart, adopt: true }) as never),
    ).rejects.toThrow(
      /taking it over needs the permission irsa.role.adopt on component:default\/cart$/,
    );
    expect(permissions.authorize).toHaveBeenLastCalledWith(
      [
        {
          permission: expect.objectContaining({ name: 'irsa.role.adopt' }),
          resourceRef: 'component:default/cart',
        },
      ],
      { credentials: mockCredentials.user() },
    );
    expect(writes()).toEqual([]);
  });

  it('asks irsa.role.update on the entity before changing what it already has', async () => {
    const { create, permissions, writes, sandbox } = await setup({
      'irsa.role.update': AuthorizeResult.DENY,
    });
    // The first run finds nothing of the entity: irsa.role.create suffices.
    await create.handler(context(cart) as never);
    sandbox.controls.resetCalls();
    await expect(
      create.handler(context({ ...cart, adopt: true }) as never),
    ).rejects.toThrow(
      'entityRef: component:default/cart already has IRSA resources (role, policies, ServiceAccount or association); changing them needs the permission irsa.role.update on it',
    );
    expect(permissions.authorize).toHaveBeenLastCalledWith(
      [
        {
          permission: expect.objectContaining({
            name: 'irsa.role.update',
            resourceType: 'catalog-entity',
          }),
          resourceRef: 'component:default/cart',
        },
      ],
      { credentials: mockCredentials.user() },
    );
    expect(writes()).toEqual([]);
  });

  it('prints the exact documents in a dry run and writes nothing', async () => {
    const { create, writes } = await setup();
    const ctx = context(
      {
        ...cart,
        managedPolicyArns: undefined,
        policy: {
          Version: '2012-10-17',
          Statement: [
            { Effect: 'Allow', Action: 's3:GetObject', Resource: '*' },
          ],
        },
      },
      { isDryRun: true },
    );
    await create.handler(ctx as never);
    expect(writes()).toEqual([]);
    const text = logged(ctx).join('\n');
    expect(text).toContain(
      'Dry run: nothing is written. Mechanism irsa. Role arn:aws:iam::111122223333:role/irsa-sandbox-shop-cart (would be created)',
    );
    expect(text).toContain(
      '"oidc.eks.us-east-1.amazonaws.com/id/5A4D1E0B8C0F4E2B9D7A6C3E1F0B2D4A:sub": "system:serviceaccount:shop:cart"',
    );
    expect(text).toContain('"aws:SourceVpc": [\n');
    expect(text).toContain(
      'eks.amazonaws.com/role-arn: arn:aws:iam::111122223333:role/irsa-sandbox-shop-cart',
    );
    expect(ctx.output).toHaveBeenCalledWith('keptPolicyArns', []);
  });

  it('provisions EKS Pod Identity: outputs the mechanism and the association id, and narrates the association', async () => {
    const { create, sandbox } = await setup();
    const ctx = context({ ...cart, mechanism: 'pod-identity' });
    await create.handler(ctx as never);
    const [association] = await sandbox.eks.listPodIdentityAssociations(
      { accountId: '111122223333', region: 'us-east-1' },
      'sandbox',
      { namespace: 'shop', serviceAccount: 'cart' },
    );
    expect(ctx.output).toHaveBeenCalledWith('mechanism', 'pod-identity');
    expect(ctx.output).toHaveBeenCalledWith(
      'associationId',
      association.associationId,
    );
    expect(ctx.output).toHaveBeenCalledWith('serviceAccountAnnotations', {});
    expect(ctx.output).toHaveBeenCalledWith('entityAnnotations', {
      'irsa.dev/cluster': 'sandbox',
      'irsa.dev/service-account': 'shop/cart',
      'irsa.dev/role-arn':
        'arn:aws:iam::111122223333:role/irsa-sandbox-shop-cart',
      'irsa.dev/mechanism': 'pod-identity',
    });
    expect(logged(ctx)).toEqual(
      expect.arrayContaining([
        'Creating Pod Identity association of shop/cart on EKS cluster sandbox with role arn:aws:iam::111122223333:role/irsa-sandbox-shop-cart',
        `Pod Identity association ${association.associationId} created`,
      ]),
    );

    const again = context({ ...cart, mechanism: 'pod-identity' });
    await create.handler(again as never);
    expect(logged(again)).toContain(
      `Pod Identity association ${association.associationId} of shop/cart found: it already gives role arn:aws:iam::111122223333:role/irsa-sandbox-shop-cart`,
    );
  });

  it("takes an empty mechanism (the template's default) as the cluster's default", async () => {
    const { create } = await setup();
    const ctx = context({ ...cart, mechanism: '' });
    await create.handler(ctx as never);
    expect(ctx.output).toHaveBeenCalledWith('mechanism', 'irsa');
    expect(ctx.output).not.toHaveBeenCalledWith(
      'associationId',
      expect.anything(),
    );
  });

  it.each([
    [
      { mechanism: 'podidentity' },
      'mechanism: must be one of irsa, pod-identity',
    ],
    [
      {
        mechanism: 'pod-identity',
        targetRoleArn: 'arn:aws:iam::444455556666:role/reports-reader',
      },
      'targetRoleArn: account 444455556666 is not a Pod Identity target the platform allows (irsa.provisioning.podIdentity.targetAccounts: none)',
    ],
  ])(
    'refuses %j naming the field and the rule, before any call',
    async (fields, message) => {
      const { create, sandbox } = await setup();
      await expect(
        create.handler(context({ ...cart, ...fields }) as never),
      ).rejects.toThrow(new InputError(message));
      expect(sandbox.controls.calls).toEqual([]);
    },
  );

  it('lists the association step in a dry run and writes nothing', async () => {
    const { create, writes } = await setup();
    const ctx = context(
      { ...cart, mechanism: 'pod-identity' },
      { isDryRun: true },
    );
    await create.handler(ctx as never);
    expect(writes()).toEqual([]);
    const text = logged(ctx).join('\n');
    expect(text).toContain(
      'Would create a Pod Identity association of shop/cart on EKS cluster sandbox for role arn:aws:iam::111122223333:role/irsa-sandbox-shop-cart',
    );
    expect(text).toContain('"Service": "pods.eks.amazonaws.com"');
    expect(text).not.toContain('eks.amazonaws.com/role-arn');
    expect(ctx.output).toHaveBeenCalledWith('mechanism', 'pod-identity');
    expect(ctx.output).not.toHaveBeenCalledWith(
      'associationId',
      expect.anything(),
    );
  });

  it('refuses a manifest path outside the workspace before any write', async () => {
    const { create, workspacePath, writes } = await setup();
    await expect(
      create.handler(
        context(
          {
            ...cart,
            serviceAccountMode: 'manifest',
            manifestPath: '../../etc/x.yaml',
          },
          { workspacePath },
        ) as never,
      ),
    ).rejects.toThrow(
      /Relative path is not allowed to refer to a directory outside its parent/,
    );
    expect(writes()).toEqual([]);
  });
});
