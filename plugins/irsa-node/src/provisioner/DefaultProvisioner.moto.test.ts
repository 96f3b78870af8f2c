import {
  AttachRolePolicyCommand,
  CreatePolicyCommand,
  GetPolicyCommand,
  GetPolicyVersionCommand,
  GetRoleCommand,
  ListAttachedRolePoliciesCommand,
  ListPoliciesCommand,
  ListPolicyVersionsCommand,
  ListRolesCommand,
  ListRoleTagsCommand,
} from '@aws-sdk/client-iam';
import { mockServices } from '@backstage/backend-test-utils';
import type { Config } from '@backstage/config';
import type { PolicyDocument } from '@backstage-irsa/plugin-irsa-common';
import {
  SandboxClusterGateway,
  SandboxState,
} from '@backstage-irsa/plugin-irsa-sandbox';
import {
  createMotoAwsGateways,
  motoAppConfig,
  motoClients,
  seedEksCluster,
  type SeededCluster,
} from '../__testUtils__/motoAws';
import {
  MOTO_ACCOUNT_ID,
  startMotoServer,
  useDummyAwsEnvironment,
  type MotoServer,
} from '../__testUtils__/motoServer';
import { readClusterConfig, StaticClusterRegistry } from '../service/clusters';
import { DefaultClusterFactsService } from '../service/facts';
import type { IrsaService } from '../service/types';
import { ProvisionError } from './ApplyRun';
import { DefaultProvisioner } from './DefaultProvisioner';
import type { ProvisionInput } from './input';

/*
 * The provisioner end to end on the real AWS side: the real AWS gateways
 * and DefaultClusterFactsService against moto (an AWS API emulator), which
 * holds an EKS cluster with its VPC, tagged subnets, a NAT gateway with an
 * Elastic IP, route tables and the IAM OIDC provider for the cluster's
 * issuer. The Kubernetes side is the sandbox's in-memory API server.
 *
 * moto's DescribeCluster carries no resourcesVpcConfig.vpcId, so the
 * cluster's VPC comes from the `irsa.clusters[].vpcId` override; everything
 * else (issuer, OIDC provider, subnets, NAT IPs) is looked up live.
 */

// Real HTTP round trips through the request budget, on a shared CI machine.
jest.setTimeout(20_000);

const region = 'eu-west-1';
const CLUSTER = 'shop';
const NAMESPACE = 'payments';

/** What every scenario shares; add scenarios by adding `it`s that use it. */
interface Fixture {
  moto: MotoServer;
  seeded: SeededCluster;
  config: Config;
  service: IrsaService;
  kubernetes: SandboxClusterGateway;
  provisioner: DefaultProvisioner;
  sdk: ReturnType<typeof motoClients>;
}

const s3Read = (bucket: string): PolicyDocument => ({
  Version: '2012-10-17',
  Statement: [
    {
      Effect: 'Allow',
      Action: ['s3:GetObject'],
      Resource: [`arn:aws:s3:::${bucket}/*`],
    },
  ],
});

/** The template's inputs for one ServiceAccount in the payments namespace. */
const inputFor = (
  serviceAccount: string,
  overrides: Partial<ProvisionInput> = {},
): ProvisionInput => ({
  cluster: CLUSTER,
  namespace: NAMESPACE,
  serviceAccount,
  policy: s3Read(`${serviceAccount}-data`),
  entityRef: `component:default/${serviceAccount}`,
  owner: 'group:default/payments',
  ...overrides,
});

const roleNameOf = (serviceAccount: string) =>
  `irsa-${CLUSTER}-${NAMESPACE}-${serviceAccount}`;
const policyArnOf = (name: string) =>
  `arn:aws:iam::${MOTO_ACCOUNT_ID}:policy/${name}`;

describe('DefaultProvisioner on the real AWS gateway against moto', () => {
  let fx: Fixture;

  beforeAll(async () => {
    useDummyAwsEnvironment(region);
    const moto = await startMotoServer();
    try {
      const seeded = await seedEksCluster(moto.endpoint, {
        clusterName: CLUSTER,
        region,
      });
      const config = motoAppConfig(moto.endpoint, {
        clusters: [
          {
            name: CLUSTER,
            accountId: MOTO_ACCOUNT_ID,
            region,
            vpcId: seeded.vpcId,
          },
        ],
      });
      const clusters = new StaticClusterRegistry(readClusterConfig(config));
      const aws = createMotoAwsGateways(config);
      // The Kubernetes side: the sandbox API server, with one cluster named like the EKS one.
      const state = new SandboxState(() => new Date());
      state.clusters.set(CLUSTER, {
        name: CLUSTER,
        accountId: MOTO_ACCOUNT_ID,
        region,
        arn: `arn:aws:eks:${region}:${MOTO_ACCOUNT_ID}:cluster/${CLUSTER}`,
        issuer: seeded.issuer,
        vpcId: seeded.vpcId,
        clusterSubnetIds: seeded.privateSubnetIds,
        subnets: [],
        natGateways: [],
        routeTables: [],
        vpcEndpoints: [],
        serviceAccounts: new Map(),
        pods: [],
        associations: new Map(),
        addons: new Map(),
        daemonSets: new Map(),
      });
      const kubernetes = new SandboxClusterGateway(state);
      const service: IrsaService = {
        mode: 'aws',
        clusters,
        ...aws,
        kubernetes,
        facts: new DefaultClusterFactsService({ ...aws, clusters }),
      };
      fx = {
        moto,
        seeded,
        config,
        service,
        kubernetes,
        provisioner: DefaultProvisioner.fromConfig({
          service,
          logger: mockServices.logger.mock(),
          config,
        }),
        sdk: motoClients(moto.endpoint, region),
      };
    } catch (error) {
      await moto.stop();
      throw error;
    }
  }, 40_000);

  afterAll(async () => {
    fx?.sdk.destroy();
    await fx?.moto.stop();
  });

  // Reads straight from moto with the SDK, bypassing the gateway under test.
  const decode = (text: string | undefined): PolicyDocument => {
    const raw = text ?? '';
    return JSON.parse(raw.startsWith('{') ? raw : decodeURIComponent(raw));
  };
  const readRole = async (roleName: string) => {
    const { Role } = await fx.sdk.iam.send(
      new GetRoleCommand({ RoleName: roleName }),
    );
    const { Tags } = await fx.sdk.iam.send(
      new ListRoleTagsCommand({ RoleName: roleName }),
    );
    const { AttachedPolicies } = await fx.sdk.iam.send(
      new ListAttachedRolePoliciesCommand({ RoleName: roleName }),
    );
    return {
      arn: Role!.Arn,
      trustPolicy: decode(Role!.AssumeRolePolicyDocument),
      tags: Object.fromEntries((Tags ?? []).map(t => [t.Key, t.Value])),
      attached: (AttachedPolicies ?? []).map(p => p.PolicyArn).sort(),
    };
  };
  const readPolicy = async (arn: string) => {
    const { Policy } = await fx.sdk.iam.send(
      new GetPolicyCommand({ PolicyArn: arn }),
    );
    const { Versions } = await fx.sdk.iam.send(
      new ListPolicyVersionsCommand({ PolicyArn: arn }),
    );
    const { PolicyVersion } = await fx.sdk.iam.send(
      new GetPolicyVersionCommand({
        PolicyArn: arn,
        VersionId: Policy!.DefaultVersionId,
      }),
    );
    return {
      defaultVersionId: Policy!.DefaultVersionId,
      versions: (Versions ?? []).map(v => v.VersionId).sort(),
      tags: Object.fromEntries((Policy!.Tags ?? []).map(t => [t.Key, t.Value])),
      document: decode(PolicyVersion!.Document),
    };
  };
  const gone = (promise: Promise<unknown>) =>
    promise.then(
      () => 'exists',
      (error: Error) =>
        error.name === 'NoSuchEntityException' ? 'gone' : error,
    );
  const inventory = async () => {
    const roles = await fx.sdk.iam.send(
      new ListRolesCommand({ MaxItems: 1000 }),
    );
    const policies = await fx.sdk.iam.send(
      new ListPoliciesCommand({ Scope: 'Local', MaxItems: 1000 }),
    );
    return {
      roles: (roles.Roles ?? []).map(r => r.Arn).sort(),
      policies: (policies.Policies ?? [])
        .map(p => `${p.Arn}@${p.DefaultVersionId}`)
        .sort(),
    };
  };
  const provision = async (input: ProvisionInput) => {
    const plan = await fx.provisioner.plan(input);
    return { plan, result: await fx.provisioner.apply(plan) };
  };

  it('creates the role, both policies, their attachments and the ServiceAccount', async () => {
    const { seeded } = fx;
    const roleName = roleNameOf('checkout');
    const { result } = await provision(inputFor('checkout'));

    const roleArn = `arn:aws:iam::${MOTO_ACCOUNT_ID}:role/${roleName}`;
    expect(result).toEqual({
      mechanism: 'irsa',
      roleArn,
      roleName,
      policyArn: policyArnOf(roleName),
      allowlistPolicyArn: policyArnOf(`${roleName}-allowlist`),
      serviceAccountAnnotations: { 'eks.amazonaws.com/role-arn': roleArn },
      entityAnnotations: {
        'irsa.dev/cluster': CLUSTER,
        'irsa.dev/service-account': `${NAMESPACE}/checkout`,
        'irsa.dev/role-arn': roleArn,
        'irsa.dev/mechanism': 'irsa',
      },
      keptPolicyArns: [],
    });

    const ownership = {
      'irsa.dev/managed-by': 'backstage-irsa',
      'irsa.dev/cluster': CLUSTER,
      'irsa.dev/service-account': `${NAMESPACE}/checkout`,
      'irsa.dev/entity-ref': 'component:default/checkout',
      'irsa.dev/owner': 'group:default/payments',
    };
    await expect(readRole(roleName)).resolves.toEqual({
      arn: roleArn,
      trustPolicy: {
        Version: '2012-10-17',
        Statement: [
          {
            Effect: 'Allow',
            Principal: { Federated: seeded.oidcProviderArn },
            Action: 'sts:AssumeRoleWithWebIdentity',
            Condition: {
              StringEquals: {
                [`${seeded.issuer}:sub`]: `system:serviceaccount:${NAMESPACE}:checkout`,
                [`${seeded.issuer}:aud`]: 'sts.amazonaws.com',
              },
            },
          },
        ],
      },
      tags: ownership,
      attached: [
        policyArnOf(roleName),
        policyArnOf(`${roleName}-allowlist`),
      ].sort(),
    });
    // The provider ARN the trust policy names is the one IAM holds for the cluster's issuer.
    expect(seeded.oidcProviderArn).toBe(
      `arn:aws:iam::${MOTO_ACCOUNT_ID}:oidc-provider/${seeded.issuer}`,
    );

    await expect(readPolicy(policyArnOf(roleName))).resolves.toEqual({
      defaultVersionId: 'v1',
      versions: ['v1'],
      tags: ownership,
      document: s3Read('checkout-data'),
    });
    await expect(
      readPolicy(policyArnOf(`${roleName}-allowlist`)),
    ).resolves.toEqual({
      defaultVersionId: 'v1',
      versions: ['v1'],
      tags: ownership,
      document: {
        Version: '2012-10-17',
        Statement: [
          {
            Sid: 'DenyOutsideCluster',
            Effect: 'Deny',
            Action: '*',
            Resource: '*',
            Condition: {
              BoolIfExists: { 'aws:ViaAWSService': 'false' },
              NotIpAddressIfExists: {
                'aws:SourceIp': [`${seeded.natPublicIp}/32`],
              },
              StringNotEqualsIfExists: { 'aws:SourceVpc': [seeded.vpcId] },
            },
          },
        ],
      },
    });

    const account = await fx.kubernetes.getServiceAccount(
      CLUSTER,
      NAMESPACE,
      'checkout',
    );
    expect({
      annotations: account?.annotations,
      labels: account?.labels,
    }).toEqual({
      annotations: {
        'eks.amazonaws.com/role-arn': roleArn,
        'irsa.dev/entity-ref': 'component:default/checkout',
        'irsa.dev/owner': 'group:default/payments',
      },
      labels: { 'irsa.dev/managed-by': 'backstage-irsa' },
    });
  });

  it('converges on a re-run with the same input: no new role, policy version or attachment', async () => {
    const roleName = roleNameOf('ledger');
    await provision(inputFor('ledger'));
    const before = {
      role: await readRole(roleName),
      permissions: await readPolicy(policyArnOf(roleName)),
      allowlist: await readPolicy(policyArnOf(`${roleName}-allowlist`)),
      all: await inventory(),
    };

    const { plan } = await provision(inputFor('ledger'));

    expect(plan.existingRole?.name).toBe(roleName);
    expect({ toAttach: plan.toAttach, toDetach: plan.toDetach }).toEqual({
      toAttach: [],
      toDetach: [],
    });
    await expect(
      (async () => ({
        role: await readRole(roleName),
        permissions: await readPolicy(policyArnOf(roleName)),
        allowlist: await readPolicy(policyArnOf(`${roleName}-allowlist`)),
        all: await inventory(),
      }))(),
    ).resolves.toEqual(before);
    expect(before.permissions.versions).toEqual(['v1']);
    expect(before.allowlist.versions).toEqual(['v1']);
  });

  it('re-run with a changed policy adds exactly one new default version', async () => {
    const roleName = roleNameOf('refunds');
    await provision(inputFor('refunds'));

    await provision(inputFor('refunds', { policy: s3Read('refunds-archive') }));

    await expect(readPolicy(policyArnOf(roleName))).resolves.toEqual(
      expect.objectContaining({
        defaultVersionId: 'v2',
        versions: ['v1', 'v2'],
        document: s3Read('refunds-archive'),
      }),
    );
    // The allowlist did not change, so it kept its single version.
    await expect(
      readPolicy(policyArnOf(`${roleName}-allowlist`)),
    ).resolves.toEqual(
      expect.objectContaining({ defaultVersionId: 'v1', versions: ['v1'] }),
    );
  });

  it('rolls back the role and both policies when Kubernetes refuses the ServiceAccount', async () => {
    const roleName = roleNameOf('invoices');
    const before = await inventory();
    const plan = await fx.provisioner.plan(inputFor('invoices'));
    // RBAC changes between the plan and the write: the create is refused with 403.
    const refused = {
      verb: 'create',
      resource: 'serviceaccounts',
      namespace: NAMESPACE,
    };
    fx.kubernetes.denyAccess(CLUSTER, refused);
    let error: unknown;
    try {
      await fx.provisioner.apply(plan);
    } catch (e) {
      error = e;
    } finally {
      fx.kubernetes.allowAccess(CLUSTER, refused);
    }

    expect(error).toBeInstanceOf(ProvisionError);
    const failure = error as ProvisionError;
    expect(failure.step).toBe('create ServiceAccount');
    expect(failure.message).toMatch(/^create ServiceAccount failed: /);
    expect(failure.leftBehind).toEqual([]);
    expect([...failure.rolledBack].sort()).toEqual(
      [
        `role arn:aws:iam::${MOTO_ACCOUNT_ID}:role/${roleName}`,
        `policy ${policyArnOf(roleName)}`,
        `policy ${policyArnOf(`${roleName}-allowlist`)}`,
        `attachment of ${policyArnOf(roleName)}`,
        `attachment of ${policyArnOf(`${roleName}-allowlist`)}`,
      ].sort(),
    );

    await expect(
      gone(fx.sdk.iam.send(new GetRoleCommand({ RoleName: roleName }))),
    ).resolves.toBe('gone');
    for (const arn of [
      policyArnOf(roleName),
      policyArnOf(`${roleName}-allowlist`),
    ]) {
      await expect(
        gone(fx.sdk.iam.send(new GetPolicyCommand({ PolicyArn: arn }))),
      ).resolves.toBe('gone');
    }
    await expect(inventory()).resolves.toEqual(before);
    await expect(
      fx.kubernetes.getServiceAccount(CLUSTER, NAMESPACE, 'invoices'),
    ).resolves.toBeUndefined();
  });

  it('a dry run (plan only) writes nothing', async () => {
    const before = await inventory();
    const plan = await fx.provisioner.plan(inputFor('quotes'));

    expect({
      roleName: plan.roleName,
      existingRole: plan.existingRole,
      toAttach: plan.toAttach,
      natPublicIps: plan.facts.natPublicIps,
      natPublicIpSource: plan.facts.natPublicIpSource,
      oidcProviderExists: plan.facts.oidcProviderExists,
    }).toEqual({
      roleName: roleNameOf('quotes'),
      existingRole: undefined,
      toAttach: [
        policyArnOf(roleNameOf('quotes')),
        policyArnOf(`${roleNameOf('quotes')}-allowlist`),
      ],
      natPublicIps: [fx.seeded.natPublicIp],
      natPublicIpSource: 'nat-gateways',
      oidcProviderExists: true,
    });
    await expect(inventory()).resolves.toEqual(before);
    await expect(
      fx.kubernetes.getServiceAccount(CLUSTER, NAMESPACE, 'quotes'),
    ).resolves.toBeUndefined();
  });

  it("refuses to take over another entity's role, and writes nothing", async () => {
    await provision(inputFor('payouts'));
    const before = await inventory();
    const role = await readRole(roleNameOf('payouts'));

    await expect(
      fx.provisioner.provision(
        inputFor('payouts', { entityRef: 'component:default/intruder' }),
      ),
    ).rejects.toThrow(
      `role ${roleNameOf('payouts')} belongs to component:default/payouts (owner group:default/payments)`,
    );
    await expect(inventory()).resolves.toEqual(before);
    await expect(readRole(roleNameOf('payouts'))).resolves.toEqual(role);
  });

  it('adopts with irsa.role.adopt on both entities: tags move to the new entity', async () => {
    const roleName = roleNameOf('wallet');
    await provision(
      inputFor('wallet', { entityRef: 'component:default/old-wallet' }),
    );
    const asked: string[] = [];

    await fx.provisioner.provision(inputFor('wallet', { adopt: true }), {
      caller: {
        mayAdopt: async ref => {
          asked.push(ref);
          return true;
        },
        mayUpdate: async () => true,
      },
    });

    expect(asked).toEqual([
      'component:default/wallet',
      'component:default/old-wallet',
    ]);
    expect((await readRole(roleName)).tags['irsa.dev/entity-ref']).toBe(
      'component:default/wallet',
    );
    expect(
      (await readPolicy(policyArnOf(roleName))).tags['irsa.dev/entity-ref'],
    ).toBe('component:default/wallet');
    expect(
      (await fx.kubernetes.getServiceAccount(CLUSTER, NAMESPACE, 'wallet'))
        ?.annotations['irsa.dev/entity-ref'],
    ).toBe('component:default/wallet');
  });

  it('keeps a managed policy someone else attached and detaches only the one it attached', async () => {
    const roleName = roleNameOf('fx');
    const ours = policyArnOf('fx-extra');
    const theirs = policyArnOf('hand-attached');
    for (const name of ['fx-extra', 'hand-attached'])
      await fx.sdk.iam.send(
        new CreatePolicyCommand({
          PolicyName: name,
          PolicyDocument: JSON.stringify(s3Read('audit')),
        }),
      );
    // The managed policy's default version is read from moto and passes the guardrail.
    await provision(inputFor('fx', { managedPolicyArns: [ours] }));
    await fx.sdk.iam.send(
      new AttachRolePolicyCommand({ RoleName: roleName, PolicyArn: theirs }),
    );

    const { result } = await provision(inputFor('fx'));

    expect(result.keptPolicyArns).toEqual([theirs]);
    expect((await readRole(roleName)).attached).toEqual(
      [
        policyArnOf(roleName),
        policyArnOf(`${roleName}-allowlist`),
        theirs,
      ].sort(),
    );
  });
});
