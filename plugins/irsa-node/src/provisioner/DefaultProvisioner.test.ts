import { mockServices } from '@backstage/backend-test-utils';
import { ConfigReader } from '@backstage/config';
import { ConflictError, InputError } from '@backstage/errors';
import { CHECK_IDS } from '@backstage-irsa/plugin-irsa-common';
import { GatewayError } from '../gateways/errors';
import { createSandboxIrsaService } from '@backstage-irsa/plugin-irsa-sandbox';
import { DefaultVerifier } from '../verifier/DefaultVerifier';
import { ProvisionError } from './ApplyRun';
import { DefaultProvisioner } from './DefaultProvisioner';
import type { ProvisionInput } from './input';

const s3Read = {
  Version: '2012-10-17',
  Statement: [
    {
      Effect: 'Allow',
      Action: 's3:GetObject',
      Resource: 'arn:aws:s3:::shop/*',
    },
  ],
};
const input: ProvisionInput = {
  cluster: 'sandbox',
  namespace: 'shop',
  serviceAccount: 'cart',
  policy: JSON.stringify(s3Read),
  ipAllowList: ['198.51.100.0/24'],
  entityRef: 'component:default/cart',
  owner: 'group:default/guests',
};
const target = { accountId: '111122223333', region: 'us-east-1' };

async function setup(config: object = {}) {
  const { service, sandbox } = await createSandboxIrsaService();
  const logger = mockServices.logger.mock();
  const provisioner = DefaultProvisioner.fromConfig({
    service,
    logger,
    config: new ConfigReader(config),
  });
  const verifier = new DefaultVerifier({ service, logger });
  const writes = () =>
    sandbox.controls.calls.filter(c => c.write).map(c => c.operation);
  return { service, sandbox, provisioner, verifier, writes };
}

describe('DefaultProvisioner', () => {
  it('creates role, policies and ServiceAccount; the verifier then passes every check', async () => {
    const { provisioner, verifier, writes, sandbox } = await setup();
    const log: string[] = [];
    const result = await provisioner.apply(
      await provisioner.plan(input, { log: m => log.push(m) }),
      { log: m => log.push(m) },
    );

    expect(result).toEqual({
      mechanism: 'irsa',
      roleArn: 'arn:aws:iam::111122223333:role/irsa-sandbox-shop-cart',
      roleName: 'irsa-sandbox-shop-cart',
      policyArn: 'arn:aws:iam::111122223333:policy/irsa-sandbox-shop-cart',
      allowlistPolicyArn:
        'arn:aws:iam::111122223333:policy/irsa-sandbox-shop-cart-allowlist',
      serviceAccountAnnotations: {
        'eks.amazonaws.com/role-arn':
          'arn:aws:iam::111122223333:role/irsa-sandbox-shop-cart',
      },
      entityAnnotations: {
        'irsa.dev/cluster': 'sandbox',
        'irsa.dev/service-account': 'shop/cart',
        'irsa.dev/role-arn':
          'arn:aws:iam::111122223333:role/irsa-sandbox-shop-cart',
        'irsa.dev/mechanism': 'irsa',
      },
      keptPolicyArns: [],
    });
    expect(writes().sort()).toEqual(
      [
        'attachRolePolicy',
        'attachRolePolicy',
        'createPolicy',
        'createPolicy',
        'createRole',
        'createServiceAccount',
      ].sort(),
    );
    expect(log[0]).toBe(
      "Preflight: reading cluster sandbox, account quotas, existing resources and Backstage's rights in shop (no changes yet)",
    );
    expect(log.at(-1)).toBe(
      'Done: arn:aws:iam::111122223333:role/irsa-sandbox-shop-cart',
    );

    const allowlist = await sandbox.iam.getPolicyVersion(
      target,
      result.allowlistPolicyArn,
      'v1',
    );
    expect(allowlist.Statement[0].Condition).toEqual({
      NotIpAddressIfExists: {
        'aws:SourceIp': [
          '198.51.100.0/24',
          '203.0.113.10/32',
          '203.0.113.20/32',
        ],
      },
      StringNotEqualsIfExists: { 'aws:SourceVpc': ['vpc-0a1b2c3d4e5f60718'] },
      BoolIfExists: { 'aws:ViaAWSService': 'false' },
    });
    const role = await sandbox.iam.getRole(target, 'irsa-sandbox-shop-cart');
    expect(role.tags).toEqual({
      'irsa.dev/managed-by': 'backstage-irsa',
      'irsa.dev/cluster': 'sandbox',
      'irsa.dev/service-account': 'shop/cart',
      'irsa.dev/entity-ref': 'component:default/cart',
      'irsa.dev/owner': 'group:default/guests',
    });
    const account = await sandbox.kubernetes.getServiceAccount(
      'sandbox',
      'shop',
      'cart',
    );
    expect([account?.labels, account?.annotations]).toEqual([
      { 'irsa.dev/managed-by': 'backstage-irsa' },
      {
        'eks.amazonaws.com/role-arn':
          'arn:aws:iam::111122223333:role/irsa-sandbox-shop-cart',
        'irsa.dev/entity-ref': 'component:default/cart',
        'irsa.dev/owner': 'group:default/guests',
      },
    ]);

    sandbox.controls.createPod('sandbox', 'shop', {
      name: 'cart-1',
      serviceAccountName: 'cart',
    });
    const report = await verifier.verify({
      cluster: 'sandbox',
      namespace: 'shop',
      serviceAccount: 'cart',
      roleArn: result.roleArn,
      entityRef: 'component:default/cart',
      trigger: 'provision',
    });
    // An IRSA workload runs every check but those of Pod Identity.
    expect(report.checks.map(c => [c.id, c.status])).toEqual(
      CHECK_IDS.filter(id => !id.startsWith('pod-identity-')).map(id => [
        id,
        'pass',
      ]),
    );
  });

  it('converges: a re-run with the same inputs writes nothing, a changed policy writes one new version', async () => {
    const { provisioner, writes, sandbox } = await setup();
    await provisioner.apply(await provisioner.plan(input));
    sandbox.controls.resetCalls();

    await provisioner.apply(await provisioner.plan(input));
    expect(writes()).toEqual([]);

    const changed = {
      ...s3Read,
      Statement: [
        { ...s3Read.Statement[0], Action: ['s3:GetObject', 's3:PutObject'] },
      ],
    };
    await provisioner.apply(
      await provisioner.plan({ ...input, policy: changed }),
    );
    expect(writes()).toEqual(['createPolicyVersion']);
    const arn = 'arn:aws:iam::111122223333:policy/irsa-sandbox-shop-cart';
    expect((await sandbox.iam.getPolicy(target, arn)).defaultVersionId).toBe(
      'v2',
    );
    expect(
      (await sandbox.iam.getPolicyVersion(target, arn, 'v2')).Statement[0]
        .Action,
    ).toEqual(['s3:GetObject', 's3:PutObject']);
  });

  it('detaches managed policies dropped from the inputs on a re-run', async () => {
    const { provisioner, sandbox } = await setup();
    const managed = 'arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess';
    await provisioner.apply(
      await provisioner.plan({ ...input, managedPolicyArns: [managed] }),
    );
    await provisioner.apply(await provisioner.plan(input));
    const attached = await sandbox.iam.listAttachedRolePolicies(
      target,
      'irsa-sandbox-shop-cart',
    );
    expect(attached.map(a => a.arn)).not.toContain(managed);
    expect(attached).toHaveLength(2);
  });

  it('undoes what the run created when a step fails, and says precisely what happened', async () => {
    const { provisioner, sandbox, service } = await setup();
    const plan = await provisioner.plan(input);
    sandbox.controls.failNext(
      'attachRolePolicy',
      new GatewayError({
        kind: 'throttled',
        operation: 'iam:AttachRolePolicy',
        message: 'Rate exceeded',
        code: 'Throttling',
      }),
    );

    const error = await provisioner.apply(plan).catch(e => e);
    expect(error).toBeInstanceOf(ProvisionError);
    expect(error.message).toMatch(
      /^attach arn:aws:iam::111122223333:policy\/irsa-sandbox-shop-cart failed: iam:AttachRolePolicy: Rate exceeded\. Rolled back: /,
    );
    // One attachment failed; its sibling succeeded and is undone with the rest, newest first.
    expect(error.rolledBack).toEqual([
      'attachment of arn:aws:iam::111122223333:policy/irsa-sandbox-shop-cart-allowlist',
      'policy arn:aws:iam::111122223333:policy/irsa-sandbox-shop-cart-allowlist',
      'policy arn:aws:iam::111122223333:policy/irsa-sandbox-shop-cart',
      'role arn:aws:iam::111122223333:role/irsa-sandbox-shop-cart',
    ]);
    expect(error.leftBehind).toEqual([]);
    await expect(
      service.iam.getRole(target, 'irsa-sandbox-shop-cart'),
    ).rejects.toMatchObject({ kind: 'not-found' });
    await expect(
      service.iam.getPolicy(target, plan.allowlistPolicy.arn),
    ).rejects.toMatchObject({ kind: 'not-found' });
    await expect(
      service.kubernetes.getServiceAccount('sandbox', 'shop', 'cart'),
    ).resolves.toBeUndefined();
  });

  it('refuses to re-run at another path than the existing role has (IAM cannot move roles)', async () => {
    const { provisioner, writes, sandbox } = await setup();
    await provisioner.apply(
      await provisioner.plan({ ...input, rolePath: '/irsa/' }),
    );
    sandbox.controls.resetCalls();
    await expect(provisioner.plan(input)).rejects.toThrow(
      new InputError(
        'rolePath: role irsa-sandbox-shop-cart exists at path /irsa/, and IAM cannot move a role; run with rolePath /irsa/',
      ),
    );
    expect(writes()).toEqual([]);
  });

  it('writes nothing to the cluster in manifest mode and returns the exact YAML', async () => {
    const { provisioner, writes } = await setup();
    const result = await provisioner.apply(
      await provisioner.plan({
        ...input,
        serviceAccountMode: 'manifest',
        audience: 'sts.amazonaws.com',
      }),
    );
    expect(result.manifest).toBe(
      [
        'apiVersion: v1',
        'kind: ServiceAccount',
        'metadata:',
        '  name: cart',
        '  namespace: shop',
        '  labels:',
        '    irsa.dev/managed-by: backstage-irsa',
        '  annotations:',
        '    eks.amazonaws.com/role-arn: arn:aws:iam::111122223333:role/irsa-sandbox-shop-cart',
        '    eks.amazonaws.com/audience: sts.amazonaws.com',
        '    irsa.dev/entity-ref: component:default/cart',
        '    irsa.dev/owner: group:default/guests',
        '',
      ].join('\n'),
    );
    expect(writes()).not.toContain('createServiceAccount');
  });

  it('adopts an existing ServiceAccount nobody manages only with adopt and irsa.role.adopt, keeping its other annotations and labels', async () => {
    const { provisioner, service, writes } = await setup();
    await service.kubernetes.createServiceAccount('sandbox', {
      namespace: 'shop',
      name: 'cart',
      annotations: { team: 'shop' },
      labels: { app: 'cart' },
    });
    await expect(provisioner.plan(input)).rejects.toThrow(
      new ConflictError(
        'ServiceAccount shop/cart exists and is not managed by IRSA for Backstage. Choose another roleName or ServiceAccount, or set adopt: true (needs the permission irsa.role.adopt) to take it over',
      ),
    );
    const asked: string[] = [];
    const caller = {
      mayAdopt: async (ref: string) => {
        asked.push(ref);
        return true;
      },
      mayUpdate: async () => true,
    };
    await provisioner.apply(
      await provisioner.plan({ ...input, adopt: true }, { caller }),
    );
    expect(asked).toEqual(['component:default/cart']);
    expect(writes()).toContain('patchServiceAccountMetadata');
    const account = await service.kubernetes.getServiceAccount(
      'sandbox',
      'shop',
      'cart',
    );
    expect([account?.labels, account?.annotations]).toEqual([
      { app: 'cart', 'irsa.dev/managed-by': 'backstage-irsa' },
      {
        team: 'shop',
        'eks.amazonaws.com/role-arn':
          'arn:aws:iam::111122223333:role/irsa-sandbox-shop-cart',
        'irsa.dev/entity-ref': 'component:default/cart',
        'irsa.dev/owner': 'group:default/guests',
      },
    ]);
  });

  it('refuses admin-equivalent policies and clusters without an OIDC provider, before any write', async () => {
    const { provisioner, writes } = await setup();
    await expect(
      provisioner.plan({
        ...input,
        policy: {
          Version: '2012-10-17',
          Statement: [{ Effect: 'Allow', Action: 'iam:*', Resource: '*' }],
        },
      }),
    ).rejects.toThrow(
      'policy: refused by the guardrails (irsa.provisioning.allowAdminEquivalent is off): Statement[0] allows "iam:*", every iam action',
    );
    await expect(
      provisioner.plan({ ...input, cluster: 'sandbox-legacy' }),
    ).rejects.toThrow(
      /^cluster: sandbox-legacy has no IAM OIDC provider for oidc\.eks\.us-west-2\.amazonaws\.com\/id\/0C1D2E3F405162738495A6B7C8D9E0F1; create it first with: eksctl utils associate-iam-oidc-provider --cluster sandbox-legacy --region us-west-2 --approve$/,
    );
    expect(writes()).toEqual([]);
  });

  it('applies the platform guardrails from config: allowed escalations pass, denied actions are refused', async () => {
    const { provisioner, writes } = await setup({
      irsa: {
        provisioning: {
          guardrails: {
            allowedActions: ['iam:PassRole'],
            deniedActions: ['s3:DeleteBucket'],
          },
        },
      },
    });
    const statement = (Action: string, Resource = '*') => ({
      Version: '2012-10-17',
      Statement: [{ Effect: 'Allow', Action, Resource }],
    });
    const plan = await provisioner.plan({
      ...input,
      policy: statement('iam:PassRole'),
    });
    expect(plan.permissionsPolicy?.document.Statement).toEqual([
      { Effect: 'Allow', Action: ['iam:PassRole'], Resource: ['*'] },
    ]);
    await expect(
      provisioner.plan({
        ...input,
        policy: statement('s3:DeleteBucket', 'arn:aws:s3:::shop'),
      }),
    ).rejects.toThrow(
      'policy: refused by the guardrails (irsa.provisioning.allowAdminEquivalent is off): Statement[0] allows s3:DeleteBucket, which this platform denies ("s3:DeleteBucket")',
    );
    expect(writes()).toEqual([]);
  });

  it('turns thousands of generated invalid inputs into InputErrors without a single write', async () => {
    const { provisioner, writes, sandbox } = await setup();
    let seed = 7;
    const random = () =>
      (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    const pick = <T>(xs: T[]): T => xs[Math.floor(random() * xs.length)];
    const bad: Record<keyof ProvisionInput, unknown[]> = {
      cluster: ['', 'nope', 7, null, 'Sandbox'],
      namespace: ['', 'Shop', '-shop', 'a'.repeat(64), 'sh op', 3, 'shop/x'],
      serviceAccount: ['', 'Cart', 'cart!', '.cart', 42, 'c'.repeat(254)],
      mechanism: ['IRSA', 'podidentity', 1],
      targetRoleArn: [
        'arn:aws:iam::444455556666:role/target',
        'arn:aws:iam::444455556666:policy/target',
        7,
      ],
      policy: [
        '{',
        '[]',
        { Version: '2008-10-17', Statement: [] },
        {
          Version: '2012-10-17',
          Statement: [{ Effect: 'Maybe', Action: 's3:Get', Resource: '*' }],
        },
        {
          Version: '2012-10-17',
          Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }],
        },
      ],
      managedPolicyArns: [
        'arn',
        ['arn:aws:iam::aws:role/x'],
        [1],
        Array(9).fill('arn:aws:iam::aws:policy/ReadOnlyAccess'),
      ],
      ipAllowList: [
        ['10.0.0.0/8'],
        ['300.1.1.1'],
        ['1.2.3.4/40'],
        'x',
        [null],
        ['::1/128'],
      ],
      serviceAccountMode: ['gitops', 1, 'APPLY'],
      annotateServiceAccount: ['yes', 0],
      audience: ['has space', ''],
      roleName: ['', 'x'.repeat(65), 'bad name', 'a/b'],
      rolePath: ['irsa', '/irsa', 'irsa/', '//'],
      permissionsBoundaryArn: ['arn:aws:iam::111122223333:role/x', 'boundary'],
      maxSessionDuration: [100, 43201, 3600.5, '3600'],
      tags: [
        [],
        { 'aws:x': 'y' },
        { 'irsa.dev/x': 'y' },
        { k: 'v'.repeat(257) },
        { k: 1 },
        'tags',
      ],
      entityRef: ['component', 'component:default/', 7, undefined],
      owner: [{ a: 1 }, 'x'.repeat(300), undefined],
      adopt: ['true', 1],
    };
    const fields = Object.keys(bad) as Array<keyof ProvisionInput>;
    const outcomes: string[] = [];
    for (let i = 0; i < 2000; i++) {
      const field = pick(fields);
      const candidate = {
        ...input,
        [field]: pick(bad[field]),
      } as ProvisionInput;
      if (field === 'policy') candidate.managedPolicyArns = undefined;
      try {
        await provisioner.plan(candidate);
        outcomes.push(`accepted ${field}=${JSON.stringify(candidate[field])}`);
      } catch (error) {
        const named =
          (error as Error).message.startsWith(field) ||
          (error as Error).message.startsWith(`${field}[`);
        outcomes.push(
          error instanceof InputError && named
            ? 'ok'
            : `${field}: ${(error as Error).name}: ${(error as Error).message}`,
        );
      }
    }
    expect(outcomes.filter(o => o !== 'ok')).toEqual([]);
    expect(writes()).toEqual([]);
    expect(sandbox.controls.calls.length).toBeLessThan(2000 * 6); // validation fails before most reads
  });
});

describe('DefaultProvisioner with a platform allowlist minimum', () => {
  it('accepts a CIDR the platform allows and writes it into the allowlist policy', async () => {
    const { provisioner } = await setup({
      irsa: { provisioning: { allowlist: { minPrefixV4: 8 } } },
    });
    const plan = await provisioner.plan({
      ...input,
      ipAllowList: ['11.0.0.0/8'],
    });
    expect(
      plan.allowlistPolicy.document.Statement[0].Condition
        ?.NotIpAddressIfExists,
    ).toEqual({
      'aws:SourceIp': ['11.0.0.0/8', '203.0.113.10/32', '203.0.113.20/32'],
    });
  });
});

describe('DefaultProvisioner namespaces per cluster', () => {
  it('follows irsa.clusters[].namespaces: allow patterns, deny wins, a system namespace opened only by name', async () => {
    const { service, sandbox } = await createSandboxIrsaService();
    const cluster = service.clusters.get('sandbox');
    cluster.namespaces = {
      allow: ['shop', 'team-*', 'kube-system'],
      deny: ['team-secret'],
    };
    const provisioner = DefaultProvisioner.fromConfig({
      service,
      logger: mockServices.logger.mock(),
      config: new ConfigReader({}),
    });
    const refusal = (namespace: string) =>
      provisioner.plan({ ...input, namespace }).then(
        () => 'accepted',
        (e: Error) => e.message,
      );
    expect(await refusal('team-a')).toBe('accepted');
    expect(await refusal('kube-system')).toBe('accepted');
    expect(await refusal('team-secret')).toBe(
      'namespace: team-secret is refused by irsa.clusters[sandbox].namespaces.deny',
    );
    expect(await refusal('billing')).toBe(
      'namespace: billing is not in irsa.clusters[sandbox].namespaces.allow (shop, team-*, kube-system)',
    );
    expect(sandbox.controls.calls.filter(c => c.write)).toEqual([]);
  });
});
