import { mockServices } from '@backstage/backend-test-utils';
import { ConfigReader } from '@backstage/config';
import { GatewayError } from '../gateways/errors';
import { createSandboxIrsaService } from '@backstage-irsa/plugin-irsa-sandbox';
import { ProvisionError, type StepRunner } from './ApplyRun';
import { DefaultProvisioner } from './DefaultProvisioner';
import type { ProvisionInput } from './input';
import { attachedPolicyTag } from './ownership';

const input: ProvisionInput = {
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
  entityRef: 'component:default/cart',
  owner: 'group:default/shop',
};
const target = { accountId: '111122223333', region: 'us-east-1' };
const roleName = 'irsa-sandbox-shop-cart';
const policyArn = `arn:aws:iam::111122223333:policy/${roleName}`;

async function setup(config: object = {}) {
  const { service, sandbox } = await createSandboxIrsaService();
  const provisioner = DefaultProvisioner.fromConfig({
    service,
    logger: mockServices.logger.mock(),
    config: new ConfigReader(config),
  });
  const writes = () =>
    sandbox.controls.calls.filter(c => c.write).map(c => c.operation);
  return { service, sandbox, provisioner, writes };
}

/**
 * The scaffolder's checkpoints as NunjucksWorkflowRunner keeps them: a step
 * that succeeded in an earlier attempt of the task returns its stored value
 * without running; a step that threw is run again next time.
 */
function scaffolderCheckpoints() {
  const done = new Map<string, unknown>();
  const step: StepRunner = async (key, fn) => {
    if (done.has(key)) return done.get(key) as never;
    const value = await fn();
    done.set(key, value ?? {});
    return value;
  };
  return { step, keys: () => [...done.keys()] };
}

const refused = (operation: string) =>
  new GatewayError({
    kind: 'access-denied',
    operation,
    message: 'forbidden by the test',
    code: 'Forbidden',
  });

describe('DefaultProvisioner failure safety', () => {
  it('a task retried after a rollback creates everything again instead of replaying the rolled-back steps', async () => {
    const { provisioner, service, sandbox } = await setup();
    const checkpoints = scaffolderCheckpoints();
    sandbox.controls.failNext(
      'createServiceAccount',
      refused('kubernetes:CreateServiceAccount'),
    );
    const first = await provisioner
      .provision(input, { step: checkpoints.step })
      .catch((e: ProvisionError) => e);
    expect(first).toBeInstanceOf(ProvisionError);
    expect((first as ProvisionError).step).toBe('create ServiceAccount');
    await expect(service.iam.getRole(target, roleName)).rejects.toMatchObject({
      kind: 'not-found',
    });

    // The same task again (the scaffolder retries it with its checkpoints).
    const { result } = await provisioner.provision(input, {
      step: checkpoints.step,
    });
    expect(result?.roleArn).toBe(`arn:aws:iam::111122223333:role/${roleName}`);
    expect((await service.iam.getRole(target, roleName)).name).toBe(roleName);
    expect(
      (await service.iam.listAttachedRolePolicies(target, roleName))
        .map(p => p.arn)
        .sort(),
    ).toEqual([policyArn, `${policyArn}-allowlist`]);
    expect(
      (await service.kubernetes.getServiceAccount('sandbox', 'shop', 'cart'))
        ?.annotations['eks.amazonaws.com/role-arn'],
    ).toBe(result?.roleArn);
    expect(checkpoints.keys()).toEqual(
      expect.arrayContaining([
        `irsa:${roleName}:g0:create-role`,
        `irsa:${roleName}:rolled-back:g0`,
        `irsa:${roleName}:g1:create-role`,
        `irsa:${roleName}:g1:create-sa`,
      ]),
    );
  });

  it('a sibling failure inside a parallel step leaves no orphan: the other policy is deleted too', async () => {
    const { provisioner, service, sandbox } = await setup();
    sandbox.controls.failNext(
      'createPolicy',
      new GatewayError({
        kind: 'throttled',
        operation: 'iam:CreatePolicy',
        message: 'Rate exceeded',
        code: 'Throttling',
      }),
    );
    const error = (await provisioner
      .provision(input)
      .catch(e => e)) as ProvisionError;
    expect(error.rolledBack.sort()).toEqual(
      [
        `policy ${policyArn}-allowlist`,
        `role arn:aws:iam::111122223333:role/${roleName}`,
      ].sort(),
    );
    await expect(
      service.iam.getPolicy(target, `${policyArn}-allowlist`),
    ).rejects.toMatchObject({ kind: 'not-found' });
  });

  it('names by ARN what it could not undo', async () => {
    const { provisioner, sandbox } = await setup();
    sandbox.controls.failNext(
      'createServiceAccount',
      refused('kubernetes:CreateServiceAccount'),
    );
    sandbox.controls.failNext('deleteRole', refused('iam:DeleteRole'));
    const error = (await provisioner
      .provision(input)
      .catch(e => e)) as ProvisionError;
    expect(error.leftBehind).toEqual([
      `role arn:aws:iam::111122223333:role/${roleName} (iam:DeleteRole: forbidden by the test)`,
    ]);
    expect(error.message).toContain(
      `Could not roll back: role arn:aws:iam::111122223333:role/${roleName} (iam:DeleteRole: forbidden by the test).`,
    );
  });

  it('restores the exact trust policy and tags when a re-run fails after changing them', async () => {
    const { provisioner, service, sandbox } = await setup();
    await provisioner.provision(input);
    const before = await service.iam.getRole(target, roleName);
    sandbox.controls.failNext(
      'patchServiceAccountMetadata',
      refused('kubernetes:PatchServiceAccount'),
    );
    // Changing the audience changes the trust policy and the ServiceAccount.
    await expect(
      provisioner.provision({
        ...input,
        audience: 'sts.example.com',
        tags: { team: 'shop' },
      }),
    ).rejects.toThrow(ProvisionError);
    const after = await service.iam.getRole(target, roleName);
    expect(after.trustPolicy).toEqual(before.trustPolicy);
    expect(after.tags).toEqual(before.tags);
  });

  it('two concurrent runs for one ServiceAccount take turns: no duplicate policy, the second converges', async () => {
    const { provisioner, writes } = await setup();
    const outcomes = await Promise.all([
      provisioner.provision(input, { holder: 'task 1' }),
      provisioner.provision(input, { holder: 'task 2' }),
    ]);
    expect(outcomes.map(o => o.result?.roleName)).toEqual([roleName, roleName]);
    expect(writes().filter(w => w === 'createPolicy')).toHaveLength(2);
    expect(writes().filter(w => w === 'createRole')).toHaveLength(1);
  });

  it('a second run that cannot wait is refused with the holder named', async () => {
    const { provisioner } = await setup({
      irsa: { provisioning: { lockWaitSeconds: 0 } },
    });
    const [first, second] = await Promise.allSettled([
      provisioner.provision(input, { holder: 'scaffolder task 1' }),
      provisioner.provision(input, { holder: 'scaffolder task 2' }),
    ]);
    expect(first.status).toBe('fulfilled');
    expect(second).toEqual({
      status: 'rejected',
      reason: expect.objectContaining({
        name: 'ConflictError',
        message: `another provisioning run (scaffolder task 1) is working on role:111122223333/${roleName}; waited 0 s. Try again when it has finished`,
      }),
    });
  });

  it('keeps and reports managed policies someone else attached; detaches only what it attached', async () => {
    const { provisioner, service } = await setup();
    const ours = 'arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess';
    await provisioner.provision({ ...input, managedPolicyArns: [ours] });
    expect((await service.iam.getRole(target, roleName)).tags).toMatchObject({
      [attachedPolicyTag(ours)]: ours,
    });
    const theirs = 'arn:aws:iam::aws:policy/ReadOnlyAccess';
    await service.iam.attachRolePolicy(target, roleName, theirs);

    const log: string[] = [];
    const { result } = await provisioner.provision(input, {
      log: m => log.push(m),
    });
    expect(result?.keptPolicyArns).toEqual([theirs]);
    expect(log).toContain(
      `Left in place (attached by someone else, not by this project): ${theirs}`,
    );
    expect(
      (await service.iam.listAttachedRolePolicies(target, roleName))
        .map(p => p.arn)
        .sort(),
    ).toEqual([policyArn, `${policyArn}-allowlist`, theirs].sort());
    expect(
      (await service.iam.getRole(target, roleName)).tags[
        attachedPolicyTag(ours)
      ],
    ).toBeUndefined();
  });

  it("adopts another entity's role with irsa.role.adopt on both entities, and retags it", async () => {
    const { provisioner, service } = await setup();
    await provisioner.provision({
      ...input,
      entityRef: 'component:default/old-cart',
      owner: 'group:default/old',
    });
    const asked: string[] = [];
    await provisioner.provision(
      { ...input, adopt: true },
      {
        caller: {
          mayAdopt: async ref => {
            asked.push(ref);
            return true;
          },
          mayUpdate: async () => true,
        },
      },
    );
    expect(asked).toEqual([
      'component:default/cart',
      'component:default/old-cart',
    ]);
    const role = await service.iam.getRole(target, roleName);
    const policy = await service.iam.getPolicy(target, policyArn);
    expect([
      role.tags['irsa.dev/entity-ref'],
      policy.tags['irsa.dev/entity-ref'],
    ]).toEqual(['component:default/cart', 'component:default/cart']);
    // Now it is this entity's: a plain re-run needs no adopt.
    await expect(provisioner.provision(input)).resolves.toMatchObject({
      result: { roleName },
    });
  });
});
