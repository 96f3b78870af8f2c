import { mockCredentials, mockServices } from '@backstage/backend-test-utils';
import { ConfigReader } from '@backstage/config';
import { AuthorizeResult } from '@backstage/plugin-permission-common';
import {
  DefaultDecommissioner,
  DefaultProvisioner,
  InMemoryProvisionLock,
} from '@backstage-irsa/plugin-irsa-node';
import { createSandboxIrsaService } from '@backstage-irsa/plugin-irsa-sandbox';
import { parse } from 'yaml';
import { createDeleteIrsaAction } from './deleteIrsaAction';
import { deleteExamples } from './deleteIrsaAction.examples';
import { actionContext, actionOutputs } from './__testUtils__/actionContext';

const target = { accountId: '111122223333', region: 'us-east-1' };
const cart = {
  cluster: 'sandbox',
  namespace: 'shop',
  serviceAccount: 'cart',
  entityRef: 'component:default/cart',
};
const roleName = 'irsa-sandbox-shop-cart';
const roleArn = `arn:aws:iam::111122223333:role/${roleName}`;
const policyArn = `arn:aws:iam::111122223333:policy/${roleName}`;
const unbound =
  'annotations eks.amazonaws.com/role-arn, irsa.dev/entity-ref, irsa.dev/owner and label irsa.dev/managed-by of ServiceAccount shop/cart';

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
  const lock = new InMemoryProvisionLock();
  const config = new ConfigReader({});
  const provisioner = DefaultProvisioner.fromConfig({
    service,
    logger,
    config,
    lock,
  });
  const action = createDeleteIrsaAction({
    decommissioner: DefaultDecommissioner.fromConfig({
      service,
      logger,
      config,
      lock,
    }),
    permissions,
  });
  /** What aws:irsa:create would have made for this input. */
  const provision = async (input: {
    cluster: string;
    namespace: string;
    serviceAccount: string;
    entityRef: string;
    roleName?: string;
    mechanism?: 'irsa' | 'pod-identity';
  }) => {
    await provisioner.provision({
      mechanism: input.mechanism,
      cluster: input.cluster,
      namespace: input.namespace,
      serviceAccount: input.serviceAccount,
      entityRef: input.entityRef,
      roleName: input.roleName,
      policy: {
        Version: '2012-10-17',
        Statement: [{ Effect: 'Allow', Action: 's3:GetObject', Resource: '*' }],
      },
      owner: 'group:default/guests',
    });
    sandbox.controls.resetCalls();
  };
  const writes = () =>
    sandbox.controls.calls.filter(c => c.write).map(c => c.operation);
  return { service, sandbox, permissions, action, provision, writes };
}

describe('aws:irsa:delete', () => {
  it.each(
    deleteExamples.map(
      e => [e.description, parse(e.example).steps[0].input] as const,
    ),
  )('runs the example: %s', async (_description, input) => {
    const { action, provision, service } = await setup();
    await provision(input);
    const ctx = actionContext(input);
    await action.handler(ctx as never);
    const name =
      input.roleName ??
      `irsa-sandbox-${input.namespace}-${input.serviceAccount}`;
    expect(actionOutputs(ctx)).toMatchObject({
      roleArn: `arn:aws:iam::111122223333:role/${name}`,
      roleDeleted: true,
    });
    await expect(service.iam.getRole(target, name)).rejects.toMatchObject({
      kind: 'not-found',
    });
    const sa = await service.kubernetes.getServiceAccount(
      'sandbox',
      input.namespace,
      input.serviceAccount,
    );
    expect(sa === undefined ? 'deleted' : sa.annotations).toEqual(
      input.deleteServiceAccount ? 'deleted' : {},
    );
  });

  it('deletes the Pod Identity association of a Pod Identity service first, and says so', async () => {
    const { action, provision, writes, sandbox } = await setup();
    await provision({ ...cart, mechanism: 'pod-identity' });
    const [association] = await sandbox.eks.listPodIdentityAssociations(
      target,
      'sandbox',
      { namespace: 'shop', serviceAccount: 'cart' },
    );
    const ctx = actionContext(cart);
    await action.handler(ctx as never);
    const removed = `Pod Identity association ${association.associationId} of shop/cart`;
    expect(actionOutputs(ctx)).toMatchObject({
      unbound: [
        'annotations irsa.dev/entity-ref, irsa.dev/owner and label irsa.dev/managed-by of ServiceAccount shop/cart',
        removed,
      ],
      roleDeleted: true,
    });
    expect(writes().slice(0, 2)).toEqual([
      'patchServiceAccountMetadata',
      'deletePodIdentityAssociation',
    ]);
    expect((ctx.info as jest.Mock).mock.calls.map(c => String(c[0]))).toContain(
      `Remove ${removed}`,
    );
    expect(
      await sandbox.eks.listPodIdentityAssociations(target, 'sandbox', {
        namespace: 'shop',
        serviceAccount: 'cart',
      }),
    ).toEqual([]);
  });

  it('outputs every step and narrates it in the task log', async () => {
    const { action, provision, writes } = await setup();
    await provision(cart);
    const ctx = actionContext(cart);
    await action.handler(ctx as never);
    expect(writes()).toEqual([
      'patchServiceAccountMetadata',
      'detachRolePolicy',
      'detachRolePolicy',
      'deletePolicy',
      'deletePolicy',
      'deleteRole',
    ]);
    const steps = [
      `removed ${unbound}`,
      `detached ${policyArn}`,
      `detached ${policyArn}-allowlist`,
      `deleted policy ${policyArn}`,
      `deleted policy ${policyArn}-allowlist`,
      `deleted role ${roleArn}`,
    ];
    expect(actionOutputs(ctx)).toEqual({
      roleArn,
      roleName,
      unbound: [unbound],
      detachedPolicyArns: [policyArn, `${policyArn}-allowlist`],
      deletedPolicyArns: [policyArn, `${policyArn}-allowlist`],
      roleDeleted: true,
      steps,
    });
    expect(ctx.info).toHaveBeenLastCalledWith(`Done: ${steps.join('; ')}`);
  });

  it('checks irsa.role.delete on the entity for the initiator before anything else', async () => {
    const { action, provision, permissions, sandbox } = await setup({
      'irsa.role.delete': AuthorizeResult.DENY,
    });
    await provision(cart);
    await expect(action.handler(actionContext(cart) as never)).rejects.toThrow(
      'You are not allowed to decommission the IRSA role of component:default/cart (permission irsa.role.delete)',
    );
    expect(permissions.authorize).toHaveBeenCalledWith(
      [
        {
          permission: expect.objectContaining({
            name: 'irsa.role.delete',
            resourceType: 'catalog-entity',
            attributes: { action: 'delete' },
          }),
          resourceRef: 'component:default/cart',
        },
      ],
      { credentials: mockCredentials.user() },
    );
    expect(sandbox.controls.calls).toEqual([]);
  });

  it('refuses a service principal that its access restrictions do not explicitly allow, though the policy would', async () => {
    const { action, provision, permissions, sandbox } = await setup();
    await provision(cart);
    await expect(
      action.handler(
        actionContext(cart, {
          credentials: mockCredentials.service('external:ci'),
        }) as never,
      ),
    ).rejects.toThrow('permission irsa.role.delete');
    expect(permissions.authorize).not.toHaveBeenCalled();
    expect(sandbox.controls.calls).toEqual([]);

    const allowed = mockCredentials.service('external:ci', {
      permissionNames: ['irsa.role.delete'],
    });
    const ctx = actionContext(cart, { credentials: allowed });
    await action.handler(ctx as never);
    expect(actionOutputs(ctx).roleDeleted).toBe(true);
  });

  it("refuses another entity's role, naming its owner, with no write", async () => {
    const { action, provision, writes } = await setup();
    await provision(cart);
    await expect(
      action.handler(
        actionContext({
          ...cart,
          entityRef: 'component:default/intruder',
        }) as never,
      ),
    ).rejects.toMatchObject({
      name: 'ConflictError',
      message:
        'role irsa-sandbox-shop-cart belongs to component:default/cart (owner group:default/guests); ServiceAccount shop/cart belongs to component:default/cart (owner group:default/guests). aws:irsa:delete removes only what component:default/intruder owns; nothing was written',
    });
    expect(writes()).toEqual([]);
  });

  it('refuses a malformed entity ref before asking for a permission', async () => {
    const { action, permissions, sandbox } = await setup();
    await expect(
      action.handler(
        actionContext({ ...cart, entityRef: 'not a ref:' }) as never,
      ),
    ).rejects.toMatchObject({
      name: 'InputError',
      message:
        'entityRef: must be an entity reference such as component:default/my-service',
    });
    expect(permissions.authorize).not.toHaveBeenCalled();
    expect(sandbox.controls.calls).toEqual([]);
  });

  it('writes nothing in a dry run and outputs what would be removed', async () => {
    const { action, provision, writes } = await setup();
    await provision(cart);
    const ctx = actionContext(cart, { isDryRun: true });
    await action.handler(ctx as never);
    expect(writes()).toEqual([]);
    expect(actionOutputs(ctx)).toEqual({
      roleArn,
      roleName,
      unbound: [unbound],
      detachedPolicyArns: [policyArn, `${policyArn}-allowlist`],
      deletedPolicyArns: [policyArn, `${policyArn}-allowlist`],
      roleDeleted: true,
      steps: [
        `Would remove ${unbound}`,
        `Would detach ${policyArn} from role ${roleName}`,
        `Would detach ${policyArn}-allowlist from role ${roleName}`,
        `Would delete policy ${policyArn} and its old versions`,
        `Would delete policy ${policyArn}-allowlist and its old versions`,
        `Would delete role ${roleArn}`,
      ],
    });
    expect(ctx.info).toHaveBeenCalledWith('Dry run: nothing is removed');
  });
});
