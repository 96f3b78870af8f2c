import { mockServices } from '@backstage/backend-test-utils';
import { ConfigReader } from '@backstage/config';
import { GatewayError } from '../gateways/errors';
import { createSandboxIrsaService } from '@backstage-irsa/plugin-irsa-sandbox';
import {
  DecommissionError,
  DefaultDecommissioner,
  type DecommissionInput,
} from './DefaultDecommissioner';
import { DefaultProvisioner } from './DefaultProvisioner';
import type { ProvisionInput } from './input';
import { InMemoryProvisionLock } from './ProvisionLock';
import type { RoleBindingMechanism } from './ServiceAccountAnnotationBinding';

const provisionInput: ProvisionInput = {
  cluster: 'sandbox',
  namespace: 'shop',
  serviceAccount: 'cart',
  policy: {
    Version: '2012-10-17',
    Statement: [
      {
        Effect: 'Allow',
        Action: 's3:GetObject',
        Resource: 'arn:aws:s3:::shop/*',
      },
    ],
  },
  managedPolicyArns: ['arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess'],
  entityRef: 'component:default/cart',
  owner: 'group:default/guests',
};
const input: DecommissionInput = {
  cluster: 'sandbox',
  namespace: 'shop',
  serviceAccount: 'cart',
  entityRef: 'component:default/cart',
};
const target = { accountId: '111122223333', region: 'us-east-1' };
const roleName = 'irsa-sandbox-shop-cart';
const roleArn = `arn:aws:iam::111122223333:role/${roleName}`;
const policyArn = `arn:aws:iam::111122223333:policy/${roleName}`;
const allowlistArn = `${policyArn}-allowlist`;
const s3ReadOnly = 'arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess';

async function setup(config: object = {}) {
  const { service, sandbox } = await createSandboxIrsaService();
  const logger = mockServices.logger.mock();
  const lock = new InMemoryProvisionLock();
  const provisioner = DefaultProvisioner.fromConfig({
    service,
    logger,
    config: new ConfigReader(config),
    lock,
  });
  const decommissioner = DefaultDecommissioner.fromConfig({
    service,
    logger,
    config: new ConfigReader(config),
    lock,
  });
  const writes = () =>
    sandbox.controls.calls.filter(c => c.write).map(c => c.operation);
  const log: string[] = [];
  const run = (extra: Partial<DecommissionInput> = {}, dryRun = false) =>
    decommissioner.decommission(
      { ...input, ...extra },
      {
        log: m => log.push(m),
        dryRun,
      },
    );
  return { service, sandbox, provisioner, lock, writes, log, run, logger };
}

/** Provisioned, with an annotation and a label of someone else's on the ServiceAccount. */
async function provisioned(config: object = {}) {
  const context = await setup(config);
  await context.provisioner.provision(provisionInput);
  await context.service.kubernetes.patchServiceAccountMetadata(
    'sandbox',
    'shop',
    'cart',
    { annotations: { 'team.example/pager': 'shop' }, labels: { app: 'cart' } },
  );
  context.sandbox.controls.resetCalls();
  return context;
}

const WRITES_IN_ORDER = [
  'patchServiceAccountMetadata',
  'detachRolePolicy',
  'detachRolePolicy',
  'detachRolePolicy',
  'deletePolicy',
  'deletePolicy',
  'deleteRole',
];

describe('DefaultDecommissioner', () => {
  it('unbinds the ServiceAccount, detaches, deletes its policies and then the role, in that order', async () => {
    const { run, writes, service, log } = await provisioned();
    const { result } = await run();

    expect(writes()).toEqual(WRITES_IN_ORDER);
    const sa = await service.kubernetes.getServiceAccount(
      'sandbox',
      'shop',
      'cart',
    );
    expect({ annotations: sa?.annotations, labels: sa?.labels }).toEqual({
      annotations: { 'team.example/pager': 'shop' },
      labels: { app: 'cart' },
    });
    await expect(service.iam.getRole(target, roleName)).rejects.toMatchObject({
      kind: 'not-found',
    });
    for (const arn of [policyArn, allowlistArn])
      await expect(service.iam.getPolicy(target, arn)).rejects.toMatchObject({
        kind: 'not-found',
      });
    const unbound =
      'annotations eks.amazonaws.com/role-arn, irsa.dev/entity-ref, irsa.dev/owner and label irsa.dev/managed-by of ServiceAccount shop/cart';
    expect(result).toEqual({
      roleArn,
      roleName,
      unbound: [unbound],
      detachedPolicyArns: [policyArn, allowlistArn, s3ReadOnly],
      deletedPolicyArns: [policyArn, allowlistArn],
      roleDeleted: true,
      steps: [
        `removed ${unbound}`,
        `detached ${policyArn}`,
        `detached ${allowlistArn}`,
        `detached ${s3ReadOnly}`,
        `deleted policy ${policyArn}`,
        `deleted policy ${allowlistArn}`,
        `deleted role ${roleArn}`,
      ],
    });
    expect(log).toContain(`Delete role ${roleArn}`);
    expect(log).toContain(
      'Pods started before now still carry AWS_ROLE_ARN and fail once the role is gone: restart or remove them',
    );
  });

  it('removes eks.amazonaws.com/audience too when the provisioner set it', async () => {
    const { run, service, provisioner } = await setup();
    await provisioner.provision({
      ...provisionInput,
      audience: 'sts.example.com',
    });
    await run();
    const sa = await service.kubernetes.getServiceAccount(
      'sandbox',
      'shop',
      'cart',
    );
    expect(sa?.annotations).toEqual({});
    expect(sa?.labels).toEqual({});
  });

  it('deletes the ServiceAccount instead of unbinding it when asked, guarded by the version read', async () => {
    const { run, writes, service, log } = await provisioned();
    const { result } = await run({ deleteServiceAccount: true });
    expect(writes()).toEqual([
      'deleteServiceAccount',
      ...WRITES_IN_ORDER.slice(1),
    ]);
    expect(
      await service.kubernetes.getServiceAccount('sandbox', 'shop', 'cart'),
    ).toBeUndefined();
    expect(result.unbound).toEqual(['ServiceAccount shop/cart']);
    expect(result.steps[0]).toBe('removed ServiceAccount shop/cart');
    expect(log).toContain('Remove ServiceAccount shop/cart');
  });

  it('refuses to delete a ServiceAccount changed since it was read, before any IAM write', async () => {
    const { run, writes, sandbox } = await provisioned();
    sandbox.controls.failNext(
      'deleteServiceAccount',
      new GatewayError({
        kind: 'conflict',
        operation: 'k8s:delete serviceaccounts',
        code: '409',
        message:
          'serviceaccounts "cart" in namespace shop changed since resourceVersion 2 was read',
      }),
    );
    await expect(run({ deleteServiceAccount: true })).rejects.toThrow(
      /^remove ServiceAccount shop\/cart failed: k8s:delete serviceaccounts: serviceaccounts "cart" in namespace shop changed since resourceVersion 2 was read\. Done: nothing\. Left: remove ServiceAccount shop\/cart; detach /,
    );
    expect(writes()).toEqual(['deleteServiceAccount']);
  });

  it("refuses another entity's role and ServiceAccount, naming the owner, and writes nothing", async () => {
    const { run, writes } = await provisioned();
    await expect(run({ entityRef: 'component:default/thief' })).rejects.toThrow(
      new Error(
        'role irsa-sandbox-shop-cart belongs to component:default/cart (owner group:default/guests); ServiceAccount shop/cart belongs to component:default/cart (owner group:default/guests). aws:irsa:delete removes only what component:default/thief owns; nothing was written',
      ),
    );
    expect(writes()).toEqual([]);
  });

  it('refuses a role nobody manages and writes nothing', async () => {
    const { run, writes, service, sandbox } = await setup();
    await service.iam.createRole(target, {
      name: 'hand-made',
      path: '/',
      trustPolicy: { Version: '2012-10-17', Statement: [] },
      tags: {},
    });
    sandbox.controls.resetCalls();
    await expect(run({ roleName: 'hand-made' })).rejects.toMatchObject({
      name: 'ConflictError',
      message:
        'role hand-made exists and is not managed by IRSA for Backstage. aws:irsa:delete removes only what component:default/cart owns; nothing was written',
    });
    expect(writes()).toEqual([]);
  });

  it('refuses a role of the same entity made for another ServiceAccount', async () => {
    const { run, writes, provisioner, sandbox } = await setup();
    await provisioner.provision({
      ...provisionInput,
      serviceAccount: 'other',
      roleName: 'cart-role',
    });
    sandbox.controls.resetCalls();
    await expect(run({ roleName: 'cart-role' })).rejects.toThrow(
      'role cart-role was made for ServiceAccount shop/other on cluster sandbox, not shop/cart on sandbox. aws:irsa:delete removes only what component:default/cart owns; nothing was written',
    );
    expect(writes()).toEqual([]);
  });

  it('refuses when a ServiceAccount nobody manages still names the role, and writes nothing', async () => {
    const { run, writes, provisioner, service, sandbox } = await setup();
    await provisioner.provision({
      ...provisionInput,
      annotateServiceAccount: false,
    });
    await service.kubernetes.createServiceAccount('sandbox', {
      namespace: 'shop',
      name: 'cart',
      annotations: { 'eks.amazonaws.com/role-arn': roleArn },
    });
    sandbox.controls.resetCalls();
    await expect(run()).rejects.toThrow(
      'ServiceAccount shop/cart is not managed by IRSA for Backstage but its eks.amazonaws.com/role-arn names role irsa-sandbox-shop-cart; remove that annotation where the ServiceAccount is declared, then run again. aws:irsa:delete removes only what component:default/cart owns; nothing was written',
    );
    expect(writes()).toEqual([]);
  });

  it('refuses a role outside irsa.provisioning.rolePath', async () => {
    const { service, sandbox, provisioner, writes } = await setup();
    await provisioner.provision(provisionInput);
    sandbox.controls.resetCalls();
    const narrower = DefaultDecommissioner.fromConfig({
      service,
      logger: mockServices.logger.mock(),
      config: new ConfigReader({
        irsa: { provisioning: { rolePath: '/irsa/' } },
      }),
    });
    await expect(narrower.decommission(input)).rejects.toMatchObject({
      name: 'NotAllowedError',
      message:
        'role irsa-sandbox-shop-cart is at path /, outside /irsa/ (irsa.provisioning.rolePath); aws:irsa:delete does not touch it. Nothing was written',
    });
    expect(writes()).toEqual([]);
  });

  it('keeps a role with policies attached by someone else, after removing only its own, and names them', async () => {
    const { run, writes, service, sandbox } = await provisioned();
    const theirs = 'arn:aws:iam::aws:policy/ReadOnlyAccess';
    await service.iam.attachRolePolicy(target, roleName, theirs);
    sandbox.controls.putRolePolicy(target, roleName, 'debug', {
      Version: '2012-10-17',
      Statement: [
        { Effect: 'Allow', Action: 'logs:GetLogEvents', Resource: '*' },
      ],
    });
    sandbox.controls.resetCalls();
    await expect(run()).rejects.toMatchObject({
      name: 'ConflictError',
      message: `role ${roleArn} was kept: policies that IRSA for Backstage did not attach remain on it: managed ${theirs}; inline debug. Done: removed annotations eks.amazonaws.com/role-arn, irsa.dev/entity-ref, irsa.dev/owner and label irsa.dev/managed-by of ServiceAccount shop/cart; detached ${policyArn}; detached ${allowlistArn}; detached ${s3ReadOnly}; deleted policy ${policyArn}; deleted policy ${allowlistArn}. Detach them (or ask whoever attached them), then run aws:irsa:delete again`,
    });
    expect(writes()).toEqual(WRITES_IN_ORDER.slice(0, -1));
    expect(
      (await service.iam.listAttachedRolePolicies(target, roleName)).map(
        p => p.arn,
      ),
    ).toEqual([theirs]);
    expect(await service.iam.listRolePolicies(target, roleName)).toEqual([
      'debug',
    ]);

    // Once they are gone, a re-run deletes the role and nothing else.
    await service.iam.detachRolePolicy(target, roleName, theirs);
    sandbox.controls.deleteRolePolicy(target, roleName, 'debug');
    sandbox.controls.resetCalls();
    const { result } = await run();
    expect(writes()).toEqual(['deleteRole']);
    expect(result.steps).toEqual([`deleted role ${roleArn}`]);
  });

  it('detaches but does not delete its policy when someone attached it elsewhere too', async () => {
    const { run, writes, service, sandbox, log } = await provisioned();
    await service.iam.createRole(target, {
      name: 'borrower',
      path: '/',
      trustPolicy: { Version: '2012-10-17', Statement: [] },
      tags: {},
    });
    await service.iam.attachRolePolicy(target, 'borrower', policyArn);
    sandbox.controls.resetCalls();
    const { result } = await run();
    expect(result.deletedPolicyArns).toEqual([allowlistArn]);
    expect(writes()).toEqual([
      'patchServiceAccountMetadata',
      'detachRolePolicy',
      'detachRolePolicy',
      'detachRolePolicy',
      'deletePolicy',
      'deleteRole',
    ]);
    expect(log).toContain(
      `policy ${policyArn} is also attached to 1 other role(s), user(s) or group(s): detached from this role only, not deleted`,
    );
    expect(
      (await service.iam.getPolicy(target, policyArn)).attachmentCount,
    ).toBe(1);
  });

  it('reports what was done and what is left when a step fails, and a re-run continues where it stopped', async () => {
    const { run, writes, sandbox, log } = await provisioned();
    sandbox.controls.failNext(
      'deletePolicy',
      new GatewayError({
        kind: 'throttled',
        operation: 'iam:DeletePolicy',
        code: 'Throttling',
        message: 'Rate exceeded',
      }),
    );
    const failure = await run().catch(e => e);
    expect(failure).toBeInstanceOf(DecommissionError);
    expect(failure.message).toBe(
      `delete policy ${policyArn} and its old versions failed: iam:DeletePolicy: Rate exceeded. Done: removed annotations eks.amazonaws.com/role-arn, irsa.dev/entity-ref, irsa.dev/owner and label irsa.dev/managed-by of ServiceAccount shop/cart; detached ${policyArn}; detached ${allowlistArn}; detached ${s3ReadOnly}. Left: delete policy ${policyArn} and its old versions; delete policy ${allowlistArn} and its old versions; delete role ${roleArn}. Deletions cannot be rolled back; run aws:irsa:delete again to continue where it stopped`,
    );
    expect(log).toContain(failure.message);
    expect(writes()).toEqual(WRITES_IN_ORDER.slice(0, 5));

    sandbox.controls.resetCalls();
    log.length = 0;
    const { result } = await run();
    expect(writes()).toEqual(['deletePolicy', 'deletePolicy', 'deleteRole']);
    expect(result.steps).toEqual([
      `deleted policy ${policyArn}`,
      `deleted policy ${allowlistArn}`,
      `deleted role ${roleArn}`,
    ]);
    expect(log).toContain(
      'ServiceAccount shop/cart carries no binding of this project to role irsa-sandbox-shop-cart: left alone',
    );
  });

  it('counts a resource that vanished meanwhile as done', async () => {
    const { run, sandbox } = await provisioned();
    sandbox.controls.failNext(
      'deleteRole',
      new GatewayError({
        kind: 'not-found',
        operation: 'iam:DeleteRole',
        code: 'NoSuchEntity',
        message: `The role with name ${roleName} cannot be found.`,
      }),
    );
    const { result } = await run();
    expect(result.steps.at(-1)).toBe(`deleted role ${roleArn} (already gone)`);
  });

  it('replays finished steps from the task checkpoints instead of repeating them', async () => {
    const { service, sandbox, writes } = await provisioned();
    const checkpoints = new Map<string, unknown>();
    const step = async <T>(key: string, fn: () => Promise<T>): Promise<T> => {
      if (checkpoints.has(key)) return checkpoints.get(key) as T;
      const value = await fn();
      checkpoints.set(key, value);
      return value;
    };
    const decommissioner = DefaultDecommissioner.fromConfig({
      service,
      logger: mockServices.logger.mock(),
      config: new ConfigReader({}),
    });
    await decommissioner.decommission(input, { step: step as never });
    // The generation probe throws, so it is never recorded.
    expect([...checkpoints.keys()]).toEqual([
      'irsa-delete:irsa-sandbox-shop-cart:g0:unbind-serviceaccount-annotation',
      `irsa-delete:irsa-sandbox-shop-cart:g0:detach-${policyArn}`,
      `irsa-delete:irsa-sandbox-shop-cart:g0:detach-${allowlistArn}`,
      `irsa-delete:irsa-sandbox-shop-cart:g0:detach-${s3ReadOnly}`,
      `irsa-delete:irsa-sandbox-shop-cart:g0:delete-policy-${policyArn}`,
      `irsa-delete:irsa-sandbox-shop-cart:g0:delete-policy-${allowlistArn}`,
      'irsa-delete:irsa-sandbox-shop-cart:g0:delete-role',
    ]);
    expect(writes()).toEqual(WRITES_IN_ORDER);

    // The task is retried: every step is replayed, nothing is written again.
    sandbox.controls.resetCalls();
    await decommissioner.decommission(input, { step: step as never });
    expect(writes()).toEqual([]);
  });

  it('writes nothing in a dry run and narrates what would be removed', async () => {
    const { run, writes, log } = await provisioned();
    const { result } = await run({}, true);
    expect(writes()).toEqual([]);
    const unbound =
      'annotations eks.amazonaws.com/role-arn, irsa.dev/entity-ref, irsa.dev/owner and label irsa.dev/managed-by of ServiceAccount shop/cart';
    expect(log).toEqual([
      'Reading role irsa-sandbox-shop-cart, its policies and the bindings of shop/cart on sandbox (no changes yet)',
      'Dry run: nothing is removed',
      `Would remove ${unbound}`,
      `Would detach ${policyArn} from role ${roleName}`,
      `Would detach ${allowlistArn} from role ${roleName}`,
      `Would detach ${s3ReadOnly} from role ${roleName}`,
      `Would delete policy ${policyArn} and its old versions`,
      `Would delete policy ${allowlistArn} and its old versions`,
      `Would delete role ${roleArn}`,
    ]);
    expect(result.roleDeleted).toBe(true);
  });

  it('has nothing to do once everything is gone', async () => {
    const { run, writes, sandbox, log } = await provisioned();
    await run();
    sandbox.controls.resetCalls();
    log.length = 0;
    const { result } = await run();
    expect(writes()).toEqual([]);
    expect(result).toEqual({
      roleArn,
      roleName,
      unbound: [],
      detachedPolicyArns: [],
      deletedPolicyArns: [],
      roleDeleted: false,
      steps: [],
    });
    expect(log.at(-1)).toBe(
      "Nothing to remove: component:default/cart's IRSA wiring is already gone",
    );
  });

  it('refuses bad input before any call', async () => {
    const { run, sandbox } = await setup();
    sandbox.controls.resetCalls();
    await expect(run({ namespace: 'Shop' })).rejects.toThrow(
      'namespace: must be a DNS-1123 label (lowercase letters, digits and "-", at most 63)',
    );
    await expect(run({ serviceAccount: 'cart_1' })).rejects.toThrow(
      'serviceAccount: must be a DNS-1123 subdomain',
    );
    await expect(run({ entityRef: 'cart:' })).rejects.toThrow(
      'entityRef: must be an entity reference such as component:default/my-service',
    );
    await expect(run({ roleName: 'a/b' })).rejects.toThrow(
      'roleName: must be 1-64 of A-Z a-z 0-9 +=,.@_-',
    );
    await expect(
      run({ deleteServiceAccount: 'yes' as unknown as boolean }),
    ).rejects.toThrow('deleteServiceAccount: must be true or false');
    await expect(run({ cluster: 'nowhere' })).rejects.toThrow(
      'cluster: "nowhere" is not configured under irsa.clusters',
    );
    await expect(run({ namespace: 'kube-system' })).rejects.toThrow(
      'namespace: kube-system belongs to the cluster itself',
    );
    expect(sandbox.controls.calls).toEqual([]);
  });

  it('waits for a provisioning run on the same role instead of interleaving', async () => {
    const { lock, run, writes } = await provisioned({
      irsa: { provisioning: { lockWaitSeconds: 0 } },
    });
    const held = await lock.acquire([`role:111122223333/${roleName}`], {
      holder: 'scaffolder task 7',
      waitMs: 0,
    });
    await expect(run()).rejects.toThrow(
      `another provisioning run (scaffolder task 7) is working on role:111122223333/${roleName}`,
    );
    await held.release();
    expect(writes()).toEqual([]);
  });

  it('asks every binding mechanism, removes their bindings first, and refuses on their conflicts', async () => {
    const removed: string[] = [];
    const podIdentity = (conflicts: string[]): RoleBindingMechanism => ({
      name: 'pod-identity',
      find: async lookup => ({
        bindings: [
          {
            mechanism: 'pod-identity',
            description: `Pod Identity association of ${lookup.namespace}/${lookup.serviceAccount}`,
            remove: async () => {
              removed.push(lookup.roleName);
            },
          },
        ],
        conflicts,
        notes: [],
      }),
    });
    const { service, writes } = await provisioned();
    const make = (conflicts: string[]) =>
      DefaultDecommissioner.fromConfig({
        service,
        logger: mockServices.logger.mock(),
        config: new ConfigReader({}),
        mechanisms: [podIdentity(conflicts)],
      });
    await expect(
      make(['association a-1 belongs to component:default/x']).decommission(
        input,
      ),
    ).rejects.toThrow(
      'association a-1 belongs to component:default/x. aws:irsa:delete removes only what component:default/cart owns; nothing was written',
    );
    expect(removed).toEqual([]);
    const { result } = await make([]).decommission(input);
    expect(removed).toEqual([roleName]);
    expect(result.steps[0]).toBe(
      'removed Pod Identity association of shop/cart',
    );
    // Only the plugged-in mechanism runs: the ServiceAccount is not touched.
    expect(writes()).toEqual(WRITES_IN_ORDER.slice(1));
  });
});
