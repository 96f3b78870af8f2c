import { mockServices } from '@backstage/backend-test-utils';
import { ConfigReader } from '@backstage/config';
import { ConflictError, InputError, NotAllowedError } from '@backstage/errors';
import {
  createSandboxIrsaService,
  type Sandbox,
} from '@backstage-irsa/plugin-irsa-sandbox';
import { GatewayError } from '../gateways/errors';
import { StaticClusterRegistry } from '../service/clusters';
import type { IrsaService } from '../service/types';
import { ProvisionError } from './ApplyRun';
import { DefaultDecommissioner } from './DefaultDecommissioner';
import { DefaultProvisioner } from './DefaultProvisioner';
import type { ProvisionInput } from './input';
import { planOutputs } from './outputs';

const input: ProvisionInput = {
  cluster: 'sandbox',
  namespace: 'shop',
  serviceAccount: 'cart',
  mechanism: 'pod-identity',
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
const roleArn = `arn:aws:iam::111122223333:role/${roleName}`;
const otherRoleArn = 'arn:aws:iam::111122223333:role/other';
const ownership = {
  'irsa.dev/managed-by': 'backstage-irsa',
  'irsa.dev/cluster': 'sandbox',
  'irsa.dev/service-account': 'shop/cart',
  'irsa.dev/entity-ref': 'component:default/cart',
  'irsa.dev/owner': 'group:default/shop',
};
const refused = (operation: string) =>
  new GatewayError({
    kind: 'access-denied',
    operation,
    message: 'forbidden by the test',
    code: 'AccessDeniedException',
  });
const mayAdopt = {
  mayAdopt: async () => true,
  mayUpdate: async () => true,
};

async function setup(
  config: object = {},
  defaultMechanism?: 'irsa' | 'pod-identity',
) {
  const created = await createSandboxIrsaService();
  const { sandbox } = created;
  const service: IrsaService = defaultMechanism
    ? {
        ...created.service,
        clusters: new StaticClusterRegistry(
          created.service.clusters
            .list()
            .map(c => ({ ...c, defaultMechanism })),
        ),
      }
    : created.service;
  const logger = mockServices.logger.mock();
  const provisioner = DefaultProvisioner.fromConfig({
    service,
    logger,
    config: new ConfigReader(config),
  });
  const decommissioner = DefaultDecommissioner.fromConfig({
    service,
    logger,
    config: new ConfigReader(config),
  });
  const writes = () =>
    sandbox.controls.calls.filter(c => c.write).map(c => c.operation);
  const associations = () =>
    sandbox.eks.listPodIdentityAssociations(target, 'sandbox', {
      namespace: 'shop',
      serviceAccount: 'cart',
    });
  const association = async () => {
    const [summary] = await associations();
    return summary
      ? sandbox.eks.describePodIdentityAssociation(
          target,
          'sandbox',
          summary.associationId,
        )
      : undefined;
  };
  /** A role trusted by Pod Identity that is not this project's. */
  const otherRole = () =>
    sandbox.iam.createRole(target, {
      name: 'other',
      path: '/',
      trustPolicy: {
        Version: '2012-10-17',
        Statement: [
          {
            Effect: 'Allow',
            Principal: { Service: 'pods.eks.amazonaws.com' },
            Action: ['sts:AssumeRole', 'sts:TagSession'],
          },
        ],
      },
      tags: {},
    });
  return {
    service,
    sandbox,
    provisioner,
    decommissioner,
    writes,
    associations,
    association,
    otherRole,
  };
}

describe('DefaultProvisioner with EKS Pod Identity', () => {
  it('creates the role with the Pod Identity trust, the association with our tags and the ServiceAccount without a role annotation', async () => {
    const { provisioner, sandbox, writes, association } = await setup();
    const log: string[] = [];
    const { plan, result } = await provisioner.provision(input, {
      log: m => log.push(m),
    });

    const created = await association();
    expect(created).toMatchObject({
      namespace: 'shop',
      serviceAccount: 'cart',
      roleArn,
      disableSessionTags: false,
      tags: ownership,
    });
    expect(created?.targetRoleArn).toBeUndefined();
    expect(result).toEqual({
      mechanism: 'pod-identity',
      associationId: created?.associationId,
      roleArn,
      roleName,
      policyArn: `arn:aws:iam::111122223333:policy/${roleName}`,
      allowlistPolicyArn: `arn:aws:iam::111122223333:policy/${roleName}-allowlist`,
      serviceAccountAnnotations: {},
      entityAnnotations: {
        'irsa.dev/cluster': 'sandbox',
        'irsa.dev/service-account': 'shop/cart',
        'irsa.dev/role-arn': roleArn,
        'irsa.dev/mechanism': 'pod-identity',
      },
      keptPolicyArns: [],
    });
    expect(plan.association?.change).toBe('create');
    expect(writes().sort()).toEqual(
      [
        'attachRolePolicy',
        'attachRolePolicy',
        'createPodIdentityAssociation',
        'createPolicy',
        'createPolicy',
        'createRole',
        'createServiceAccount',
      ].sort(),
    );
    const role = await sandbox.iam.getRole(target, roleName);
    expect(role.trustPolicy).toEqual({
      Version: '2012-10-17',
      Statement: [
        {
          Sid: 'EksPodIdentity',
          Effect: 'Allow',
          Principal: { Service: 'pods.eks.amazonaws.com' },
          Action: ['sts:AssumeRole', 'sts:TagSession'],
          Condition: {
            StringEquals: {
              'aws:SourceAccount': '111122223333',
              'aws:RequestTag/eks-cluster-name': 'sandbox',
              'aws:RequestTag/kubernetes-namespace': 'shop',
              'aws:RequestTag/kubernetes-service-account': 'cart',
            },
            ArnEquals: {
              'aws:SourceArn':
                'arn:aws:eks:us-east-1:111122223333:cluster/sandbox',
            },
          },
        },
      ],
    });
    expect(role.description).toBe(
      'EKS Pod Identity role for component:default/cart (shop/cart on sandbox)',
    );
    const account = await sandbox.kubernetes.getServiceAccount(
      'sandbox',
      'shop',
      'cart',
    );
    expect([account?.labels, account?.annotations]).toEqual([
      { 'irsa.dev/managed-by': 'backstage-irsa' },
      {
        'irsa.dev/entity-ref': 'component:default/cart',
        'irsa.dev/owner': 'group:default/shop',
      },
    ]);
    expect(log).toEqual(
      expect.arrayContaining([
        `Creating role ${roleName} trusting EKS Pod Identity for shop/cart on EKS cluster sandbox`,
        `Creating Pod Identity association of shop/cart on EKS cluster sandbox with role ${roleArn}`,
        `Pod Identity association ${created?.associationId} created`,
        "Creating ServiceAccount shop/cart with this project's labels and annotations (Pod Identity needs no role annotation)",
      ]),
    );
    // The association is written only once IAM shows the role.
    expect(
      log.indexOf(`Pod Identity association ${created?.associationId} created`),
    ).toBeGreaterThan(
      log.indexOf(
        'Waiting until IAM shows the role (IAM is eventually consistent)',
      ),
    );
  });

  it("follows the cluster's defaultMechanism when the input names none, and needs no OIDC provider", async () => {
    const { provisioner, sandbox } = await setup({}, 'pod-identity');
    const { mechanism: _none, ...withoutMechanism } = input;
    // sandbox-legacy has no IAM OIDC provider: IRSA would be refused there.
    const { result } = await provisioner.provision({
      ...withoutMechanism,
      cluster: 'sandbox-legacy',
    });
    expect(result?.mechanism).toBe('pod-identity');
    const legacy = { accountId: '111122223333', region: 'us-west-2' };
    const [found] = await sandbox.eks.listPodIdentityAssociations(
      legacy,
      'sandbox-legacy',
      { namespace: 'shop', serviceAccount: 'cart' },
    );
    expect(found).toMatchObject({ namespace: 'shop', serviceAccount: 'cart' });
    expect(result?.associationId).toBe(found.associationId);
  });

  it('warns, without refusing, when the cluster has no Pod Identity agent', async () => {
    const { provisioner, sandbox } = await setup();
    sandbox.controls.setPodIdentityAgent('sandbox', null);
    const log: string[] = [];
    await provisioner.plan(input, { log: m => log.push(m) });
    expect(log).toContain(
      'Warning: the eks-pod-identity-agent add-on of sandbox is not installed; pods get no Pod Identity credentials until the agent runs (as that add-on or a self-managed DaemonSet)',
    );
  });

  it('finds its association again on a re-run (List, then Describe) and writes nothing', async () => {
    const { provisioner, sandbox, writes } = await setup();
    const first = await provisioner.provision(input);
    sandbox.controls.resetCalls();
    const log: string[] = [];
    const { plan, result } = await provisioner.provision(input, {
      log: m => log.push(m),
    });
    expect(writes()).toEqual([]);
    expect(plan.association?.change).toBe('none');
    expect(result?.associationId).toBe(first.result?.associationId);
    const eksReads = sandbox.controls.calls
      .map(c => c.operation)
      .filter(o => /PodIdentityAssociation/.test(o));
    expect(eksReads).toEqual([
      'listPodIdentityAssociations',
      'describePodIdentityAssociation',
    ]);
    expect(log).toContain(
      `Pod Identity association ${result?.associationId} of shop/cart found: it already gives role ${roleArn}`,
    );
  });

  it('points its own association at the role again, and puts it back when a later step fails', async () => {
    const { provisioner, sandbox, association, otherRole } = await setup();
    const { result } = await provisioner.provision(input);
    await otherRole();
    await sandbox.eks.updatePodIdentityAssociation(
      target,
      'sandbox',
      result!.associationId!,
      { roleArn: otherRoleArn },
    );

    // The ServiceAccount drifted too, so the run patches it, and that patch fails.
    await sandbox.kubernetes.patchServiceAccountAnnotations(
      'sandbox',
      'shop',
      'cart',
      {
        'irsa.dev/owner': 'group:default/someone',
      },
    );
    sandbox.controls.failNext(
      'patchServiceAccountMetadata',
      refused('k8s:patch serviceaccounts'),
    );
    const error = (await provisioner
      .provision(input)
      .catch(e => e)) as ProvisionError;
    expect(error).toBeInstanceOf(ProvisionError);
    expect(error.rolledBack).toEqual([
      `Pod Identity association ${result?.associationId} (back to role ${otherRoleArn})`,
    ]);
    expect((await association())?.roleArn).toBe(otherRoleArn);

    const { plan } = await provisioner.provision(input);
    expect(plan.association?.change).toBe('update');
    expect(await association()).toMatchObject({
      associationId: result?.associationId,
      roleArn,
    });
  });

  it("refuses another entity's or nobody's association exactly like a role, and retags it in place (same id) only when adopting", async () => {
    const { provisioner, sandbox, association, otherRole, writes } =
      await setup();
    await otherRole();
    await sandbox.eks.createPodIdentityAssociation(target, {
      clusterName: 'sandbox',
      namespace: 'shop',
      serviceAccount: 'cart',
      roleArn: otherRoleArn,
      tags: {
        'irsa.dev/managed-by': 'backstage-irsa',
        'irsa.dev/entity-ref': 'component:default/old-cart',
        'irsa.dev/owner': 'group:default/old',
      },
    });
    const theirs = (await association())!;
    sandbox.controls.resetCalls();
    await expect(provisioner.plan(input)).rejects.toThrow(
      new ConflictError(
        `Pod Identity association ${theirs.associationId} of shop/cart belongs to component:default/old-cart (owner group:default/old). Choose another roleName or ServiceAccount, or set adopt: true (needs the permission irsa.role.adopt) to take it over`,
      ),
    );
    const asked: string[] = [];
    const onlyOwnEntity = {
      mayAdopt: async (ref: string) => {
        asked.push(ref);
        return ref === 'component:default/cart';
      },
      mayUpdate: async () => true,
    };
    await expect(
      provisioner.plan({ ...input, adopt: true }, { caller: onlyOwnEntity }),
    ).rejects.toThrow(NotAllowedError);
    expect(asked).toEqual([
      'component:default/cart',
      'component:default/old-cart',
    ]);
    expect(writes()).toEqual([]);

    const log: string[] = [];
    const { result } = await provisioner.provision(
      { ...input, adopt: true },
      { caller: mayAdopt, log: m => log.push(m) },
    );
    const ours = (await association())!;
    expect(ours).toMatchObject({
      associationId: theirs.associationId,
      roleArn,
      tags: ownership,
    });
    expect(result?.associationId).toBe(theirs.associationId);
    expect(log).toContain(
      `Adopting Pod Identity association ${theirs.associationId} of shop/cart: retagging it for this entity (its id stays)`,
    );
  });

  it('refuses an association nobody manages without adopt, and one an EKS add-on owns even with it', async () => {
    const { provisioner, sandbox, service, otherRole } = await setup();
    await otherRole();
    const created = await sandbox.eks.createPodIdentityAssociation(target, {
      clusterName: 'sandbox',
      namespace: 'shop',
      serviceAccount: 'cart',
      roleArn: otherRoleArn,
      tags: {},
    });
    await expect(provisioner.plan(input)).rejects.toThrow(
      `Pod Identity association ${created.associationId} of shop/cart exists and is not managed by IRSA for Backstage. Choose another roleName`,
    );
    // EKS sets ownerArn when an add-on made the association.
    const addonOwned = DefaultProvisioner.fromConfig({
      service: {
        ...service,
        eks: Object.assign(Object.create(service.eks), {
          describePodIdentityAssociation: async () => ({
            ...created,
            ownerArn:
              'arn:aws:eks:us-east-1:111122223333:addon/sandbox/aws-ebs-csi-driver/x',
          }),
        }),
      },
      logger: mockServices.logger.mock(),
      config: new ConfigReader({}),
    });
    await expect(
      addonOwned.plan({ ...input, adopt: true }, { caller: mayAdopt }),
    ).rejects.toThrow(
      new ConflictError(
        `Pod Identity association ${created.associationId} of shop/cart is owned by the EKS add-on arn:aws:eks:us-east-1:111122223333:addon/sandbox/aws-ebs-csi-driver/x; change it through the add-on; aws:irsa:create cannot take it over. Nothing was written`,
      ),
    );
  });

  it('rolls back completely when the association cannot be created after the role was', async () => {
    const { provisioner, service, sandbox, associations } = await setup();
    sandbox.controls.failNext(
      'createPodIdentityAssociation',
      refused('eks:CreatePodIdentityAssociation'),
    );
    const error = (await provisioner
      .provision(input)
      .catch(e => e)) as ProvisionError;
    expect(error).toBeInstanceOf(ProvisionError);
    expect(error.step).toBe('create Pod Identity association');
    // Parallel steps register their undo as they finish; the role goes last.
    expect([...error.rolledBack].sort()).toEqual([
      `attachment of arn:aws:iam::111122223333:policy/${roleName}`,
      `attachment of arn:aws:iam::111122223333:policy/${roleName}-allowlist`,
      `policy arn:aws:iam::111122223333:policy/${roleName}`,
      `policy arn:aws:iam::111122223333:policy/${roleName}-allowlist`,
      `role ${roleArn}`,
    ]);
    expect(error.rolledBack.at(-1)).toBe(`role ${roleArn}`);
    expect(error.leftBehind).toEqual([]);
    await expect(service.iam.getRole(target, roleName)).rejects.toMatchObject({
      kind: 'not-found',
    });
    expect(await associations()).toEqual([]);
    expect(
      await service.kubernetes.getServiceAccount('sandbox', 'shop', 'cart'),
    ).toBeUndefined();
  });

  it('deletes the association it created when the ServiceAccount step fails', async () => {
    const { provisioner, sandbox, associations } = await setup();
    sandbox.controls.failNext(
      'createServiceAccount',
      refused('k8s:create serviceaccounts'),
    );
    const error = (await provisioner
      .provision(input)
      .catch(e => e)) as ProvisionError;
    expect(error.step).toBe('create ServiceAccount');
    expect(error.rolledBack[0]).toMatch(/^Pod Identity association a-/);
    expect(await associations()).toEqual([]);
  });

  it('lists the association step in a dry run and writes nothing', async () => {
    const { provisioner, writes } = await setup();
    const { plan, result } = await provisioner.provision(input, {
      dryRun: true,
    });
    expect(result).toBeUndefined();
    expect(writes()).toEqual([]);
    expect(plan.association).toEqual({
      clusterName: 'sandbox',
      namespace: 'shop',
      serviceAccount: 'cart',
      roleArn,
      tags: ownership,
      change: 'create',
    });
    expect(plan.manifest).not.toContain('eks.amazonaws.com/role-arn');
  });

  it('refuses to switch a running service between mechanisms: that is aws:irsa:migrate', async () => {
    const { provisioner, writes, sandbox } = await setup();
    await provisioner.provision({ ...input, mechanism: 'irsa' });
    sandbox.controls.resetCalls();
    await expect(provisioner.plan(input)).rejects.toThrow(
      new ConflictError(
        `role ${roleName} is trusted for IRSA (web identity); ServiceAccount shop/cart carries eks.amazonaws.com/role-arn (${roleArn}), and the SDKs use IRSA before Pod Identity. aws:irsa:create provisions EKS Pod Identity and does not switch a running service between mechanisms: run aws:irsa:migrate, which keeps both working while the pods move. Nothing was written`,
      ),
    );
    expect(writes()).toEqual([]);
  });

  it('refuses to provision IRSA over a Pod Identity role', async () => {
    const { provisioner } = await setup();
    await provisioner.provision(input);
    await expect(
      provisioner.plan({ ...input, mechanism: 'irsa' }),
    ).rejects.toThrow(
      `role ${roleName} is trusted for EKS Pod Identity. aws:irsa:create provisions IRSA (web identity)`,
    );
  });

  it('refuses a ServiceAccount annotated for IRSA by someone else: the SDKs would keep using IRSA', async () => {
    const { provisioner, service } = await setup();
    await service.kubernetes.createServiceAccount('sandbox', {
      namespace: 'shop',
      name: 'cart',
      annotations: { 'eks.amazonaws.com/role-arn': otherRoleArn },
    });
    await expect(
      provisioner.plan({ ...input, adopt: true }, { caller: mayAdopt }),
    ).rejects.toThrow(
      `ServiceAccount shop/cart carries eks.amazonaws.com/role-arn (${otherRoleArn}), and the SDKs use IRSA before Pod Identity.`,
    );
  });

  it.each([
    { serviceAccountMode: 'none' as const },
    { serviceAccountMode: 'manifest' as const },
    { annotateServiceAccount: false },
  ])(
    "refuses to bind another entity's ServiceAccount through an association even when it leaves the ServiceAccount alone (%j)",
    async fields => {
      const { provisioner, service, sandbox, writes } = await setup();
      await service.kubernetes.createServiceAccount('sandbox', {
        namespace: 'shop',
        name: 'cart',
        labels: { 'irsa.dev/managed-by': 'backstage-irsa' },
        annotations: {
          'irsa.dev/entity-ref': 'component:default/checkout',
          'irsa.dev/owner': 'group:default/payments',
        },
      });
      sandbox.controls.resetCalls();
      await expect(provisioner.plan({ ...input, ...fields })).rejects.toThrow(
        new ConflictError(
          'ServiceAccount shop/cart belongs to component:default/checkout (owner group:default/payments). Choose another roleName or ServiceAccount, or set adopt: true (needs the permission irsa.role.adopt) to take it over',
        ),
      );
      // Even adopted, an IRSA ServiceAccount would be switched by the association.
      await service.kubernetes.patchServiceAccountMetadata(
        'sandbox',
        'shop',
        'cart',
        { annotations: { 'eks.amazonaws.com/role-arn': otherRoleArn } },
      );
      sandbox.controls.resetCalls();
      await expect(
        provisioner.plan(
          { ...input, ...fields, adopt: true },
          { caller: mayAdopt },
        ),
      ).rejects.toThrow(
        `ServiceAccount shop/cart carries eks.amazonaws.com/role-arn (${otherRoleArn}), and the SDKs use IRSA before Pod Identity.`,
      );
      expect(writes()).toEqual([]);
    },
  );

  it.each([
    [
      { mechanism: 'pod-identity', audience: 'sts.amazonaws.com' },
      'audience: applies only to IRSA (eks.amazonaws.com/audience); Pod Identity tokens always have the audience pods.eks.amazonaws.com',
    ],
    [
      { mechanism: 'irsa', targetRoleArn: 'arn:aws:iam::444455556666:role/t' },
      'targetRoleArn: applies only to mechanism pod-identity (an IRSA role is assumed directly)',
    ],
    [
      {
        mechanism: undefined,
        targetRoleArn: 'arn:aws:iam::444455556666:role/t',
      },
      'targetRoleArn: applies only to mechanism pod-identity, and cluster sandbox defaults to irsa; set mechanism: pod-identity',
    ],
    [
      {
        mechanism: 'pod-identity',
        targetRoleArn: 'arn:aws:iam::777788889999:role/t',
      },
      'targetRoleArn: account 777788889999 is not a Pod Identity target the platform allows (irsa.provisioning.podIdentity.targetAccounts: 444455556666)',
    ],
    [
      {
        mechanism: 'pod-identity',
        targetRoleArn: 'arn:aws-cn:iam::444455556666:role/t',
      },
      'targetRoleArn: must be in the partition of cluster sandbox (aws)',
    ],
    [
      { mechanism: 'Pod-Identity' },
      'mechanism: must be one of irsa, pod-identity',
    ],
  ])(
    'refuses %j before any call, naming the field',
    async (fields, message) => {
      const { provisioner, sandbox } = await setup({
        irsa: {
          provisioning: { podIdentity: { targetAccounts: ['444455556666'] } },
        },
      });
      const error = await provisioner
        .plan({ ...input, ...(fields as Partial<ProvisionInput>) })
        .catch(e => e);
      expect(error).toEqual(new InputError(message));
      expect(sandbox.controls.calls).toEqual([]);
    },
  );

  it('refuses cross-account access unless the platform allows the target account', async () => {
    const { provisioner, sandbox } = await setup();
    await expect(
      provisioner.plan({
        ...input,
        targetRoleArn: 'arn:aws:iam::444455556666:role/reports-reader',
      }),
    ).rejects.toThrow(
      new InputError(
        'targetRoleArn: account 444455556666 is not a Pod Identity target the platform allows (irsa.provisioning.podIdentity.targetAccounts: none)',
      ),
    );
    expect(sandbox.controls.calls).toEqual([]);
  });
});

describe('DefaultProvisioner with a cross-account Pod Identity target role', () => {
  const targetAccount = { accountId: '444455556666', region: 'us-east-1' };
  const targetRoleArn = 'arn:aws:iam::444455556666:role/reports-reader';
  const allowlist = (cidrs: string[]) => ({
    Version: '2012-10-17' as const,
    Statement: [
      {
        Effect: 'Deny' as const,
        Action: '*',
        Resource: '*',
        Condition: { NotIpAddressIfExists: { 'aws:SourceIp': cidrs } },
      },
    ],
  });

  async function withTarget(targetAllowlist?: string[]) {
    const fixture = await setup({
      irsa: {
        provisioning: { podIdentity: { targetAccounts: ['444455556666'] } },
      },
    });
    const { sandbox } = fixture;
    await sandbox.iam.createRole(targetAccount, {
      name: 'reports-reader',
      path: '/',
      trustPolicy: {
        Version: '2012-10-17',
        Statement: [
          {
            Effect: 'Allow',
            Principal: { AWS: roleArn },
            Action: ['sts:AssumeRole', 'sts:TagSession'],
          },
        ],
      },
      tags: {},
    });
    if (targetAllowlist) {
      const policy = await sandbox.iam.createPolicy(targetAccount, {
        name: 'cluster-only',
        path: '/',
        document: allowlist(targetAllowlist),
        tags: {},
      });
      await sandbox.iam.attachRolePolicy(
        targetAccount,
        'reports-reader',
        policy.arn,
      );
    }
    sandbox.controls.resetCalls();
    return fixture;
  }

  it('chains into a target role whose allowlist covers the cluster: the association names it, our role may assume it, our allowlist leaves that call to the target', async () => {
    const { provisioner, association, sandbox } = await withTarget([
      '203.0.113.0/24',
    ]);
    const log: string[] = [];
    const { plan, result } = await provisioner.provision(
      { ...input, policy: undefined, targetRoleArn },
      { log: m => log.push(m) },
    );
    const created = (await association())!;
    expect(created).toMatchObject({ roleArn, targetRoleArn, tags: ownership });
    expect(result?.associationId).toBe(created.associationId);
    expect(
      await sandbox.iam.getPolicyVersion(target, result!.policyArn!, 'v1'),
    ).toEqual({
      Version: '2012-10-17',
      Statement: [
        {
          Sid: 'AssumePodIdentityTargetRole',
          Effect: 'Allow',
          Action: ['sts:AssumeRole', 'sts:TagSession'],
          Resource: targetRoleArn,
        },
      ],
    });
    expect(plan.allowlistPolicy.document.Statement).toEqual([
      {
        Sid: 'DenyOutsideCluster',
        Effect: 'Deny',
        Action: '*',
        NotResource: targetRoleArn,
        Condition: {
          BoolIfExists: { 'aws:ViaAWSService': 'false' },
          NotIpAddressIfExists: {
            'aws:SourceIp': ['203.0.113.10/32', '203.0.113.20/32'],
          },
          StringNotEqualsIfExists: {
            'aws:SourceVpc': ['vpc-0a1b2c3d4e5f60718'],
          },
        },
      },
    ]);
    expect(log).toContain(
      `The target role ${targetRoleArn} must trust ${roleArn} for sts:AssumeRole (with sts:ExternalId ${created.externalId}) and sts:TagSession`,
    );
  });

  it('refuses a target role without an IP allowlist, before any write', async () => {
    const { provisioner, writes } = await withTarget();
    await expect(provisioner.plan({ ...input, targetRoleArn })).rejects.toThrow(
      new InputError(
        `targetRoleArn: role ${targetRoleArn} has no IP allowlist (a Deny of "*" on every resource, on NotIpAddress aws:SourceIp); every role in a Pod Identity chain needs one so its credentials work only from the cluster. Attach one in its account, then run again`,
      ),
    );
    expect(writes()).toEqual([]);
  });

  it("refuses a target role whose allowlist leaves out the cluster's egress IPs, or allows everywhere", async () => {
    const narrow = await withTarget(['198.51.100.0/24', '203.0.113.10/32']);
    await expect(
      narrow.provisioner.plan({ ...input, targetRoleArn }),
    ).rejects.toThrow(
      new InputError(
        `targetRoleArn: the IP allowlist of role ${targetRoleArn} (cluster-only) leaves out the cluster's egress IPs 203.0.113.20: the pods' calls would be denied. Add them, then run again`,
      ),
    );
    const open = await withTarget(['0.0.0.0/0']);
    await expect(
      open.provisioner.plan({ ...input, targetRoleArn }),
    ).rejects.toThrow(/has no IP allowlist/);
  });

  it.each([
    ['some resources', { Resource: 'arn:aws:s3:::reports/*' }],
    ['all but some resources', { NotResource: 'arn:aws:s3:::reports/*' }],
  ])(
    'refuses a target role whose IP Deny covers only %s: its credentials work from anywhere for the rest',
    async (_what, scope) => {
      const { provisioner, sandbox, writes } = await withTarget();
      const { Resource: _all, ...deny } = allowlist(['203.0.113.0/24'])
        .Statement[0];
      const policy = await sandbox.iam.createPolicy(targetAccount, {
        name: 'reports-from-cluster',
        path: '/',
        document: {
          Version: '2012-10-17',
          Statement: [{ ...deny, ...scope }],
        },
        tags: {},
      });
      await sandbox.iam.attachRolePolicy(
        targetAccount,
        'reports-reader',
        policy.arn,
      );
      sandbox.controls.resetCalls();
      await expect(
        provisioner.plan({ ...input, targetRoleArn }),
      ).rejects.toThrow(
        new InputError(
          `targetRoleArn: role ${targetRoleArn} has no IP allowlist (a Deny of "*" on every resource, on NotIpAddress aws:SourceIp); every role in a Pod Identity chain needs one so its credentials work only from the cluster. Attach one in its account, then run again`,
        ),
      );
      expect(writes()).toEqual([]);
    },
  );

  it('says what Backstage needs when it may not read the target role, and refuses a missing one', async () => {
    const { provisioner, sandbox } = await withTarget(['203.0.113.0/24']);
    // Only the target role's read lists inline policies while planning.
    sandbox.controls.failNext(
      'listRolePolicies',
      refused('iam:ListRolePolicies'),
    );
    await expect(provisioner.plan({ ...input, targetRoleArn })).rejects.toThrow(
      new NotAllowedError(
        "targetRoleArn: Backstage may not read role reports-reader in account 444455556666 (iam:ListRolePolicies); it checks the target role's IP allowlist before chaining into it and needs credentials for that account (aws.accounts) with iam:GetRole, iam:ListAttachedRolePolicies, iam:ListRolePolicies, iam:GetPolicy, iam:GetPolicyVersion, iam:GetRolePolicy. Nothing was written",
      ),
    );
    await expect(
      provisioner.plan({
        ...input,
        targetRoleArn: 'arn:aws:iam::444455556666:role/missing',
      }),
    ).rejects.toThrow(
      new InputError(
        'targetRoleArn: role missing does not exist in account 444455556666',
      ),
    );
  });
});

describe('DefaultDecommissioner with EKS Pod Identity', () => {
  it('deletes the association it made, then the policies and the role', async () => {
    const { provisioner, decommissioner, sandbox, writes, associations } =
      await setup();
    const { result: created } = await provisioner.provision(input);
    sandbox.controls.resetCalls();
    const log: string[] = [];
    const { result } = await decommissioner.decommission(
      {
        cluster: 'sandbox',
        namespace: 'shop',
        serviceAccount: 'cart',
        entityRef: 'component:default/cart',
      },
      { log: m => log.push(m) },
    );
    expect(result.unbound).toEqual([
      'annotations irsa.dev/entity-ref, irsa.dev/owner and label irsa.dev/managed-by of ServiceAccount shop/cart',
      `Pod Identity association ${created?.associationId} of shop/cart`,
    ]);
    expect(writes()).toEqual([
      'patchServiceAccountMetadata',
      'deletePodIdentityAssociation',
      'detachRolePolicy',
      'detachRolePolicy',
      'deletePolicy',
      'deletePolicy',
      'deleteRole',
    ]);
    expect(await associations()).toEqual([]);
    expect(log).toContain(
      'Pods started before now still carry AWS_CONTAINER_CREDENTIALS_FULL_URI but get no new credentials without the association: restart or remove them',
    );
  });

  it("refuses another entity's association and one nobody manages that gives the role, before any write", async () => {
    const { provisioner, decommissioner, sandbox, writes, association } =
      await setup();
    await provisioner.provision(input);
    const ours = (await association())!;
    await sandbox.eks.deletePodIdentityAssociation(
      target,
      'sandbox',
      ours.associationId,
    );
    const nobodys = await sandbox.eks.createPodIdentityAssociation(target, {
      clusterName: 'sandbox',
      namespace: 'shop',
      serviceAccount: 'cart',
      roleArn,
      tags: {},
    });
    sandbox.controls.resetCalls();
    const lookup = {
      cluster: 'sandbox',
      namespace: 'shop',
      serviceAccount: 'cart',
      entityRef: 'component:default/cart',
    };
    await expect(decommissioner.decommission(lookup)).rejects.toThrow(
      new ConflictError(
        `Pod Identity association ${nobodys.associationId} of shop/cart is not managed by IRSA for Backstage but gives role ${roleName}; delete it where it is declared (or adopt it with aws:irsa:create), then run again. aws:irsa:delete removes only what component:default/cart owns; nothing was written`,
      ),
    );
    await sandbox.eks.deletePodIdentityAssociation(
      target,
      'sandbox',
      nobodys.associationId,
    );
    const theirs = await sandbox.eks.createPodIdentityAssociation(target, {
      clusterName: 'sandbox',
      namespace: 'shop',
      serviceAccount: 'cart',
      roleArn,
      tags: {
        'irsa.dev/managed-by': 'backstage-irsa',
        'irsa.dev/entity-ref': 'component:default/other',
      },
    });
    await expect(decommissioner.decommission(lookup)).rejects.toThrow(
      `Pod Identity association ${theirs.associationId} of shop/cart belongs to component:default/other`,
    );
    expect(writes()).toEqual([
      'deletePodIdentityAssociation',
      'createPodIdentityAssociation',
    ]);
  });
});

describe('DefaultProvisioner adopting a Pod Identity association in place', () => {
  /** EKS's writes in call order, from the sandbox's log. */
  const eksWrites = (sandbox: Sandbox) =>
    sandbox.controls.calls
      .filter(c => c.service === 'eks' && c.write)
      .map(c => c.operation);

  it("keeps nobody's association and its id: tags ours beside theirs, points it at the role, turns session tags back on", async () => {
    const { provisioner, sandbox, association, otherRole } = await setup();
    await otherRole();
    await sandbox.eks.createPodIdentityAssociation(target, {
      clusterName: 'sandbox',
      namespace: 'shop',
      serviceAccount: 'cart',
      roleArn: otherRoleArn,
      disableSessionTags: true,
      tags: { team: 'shop' },
    });
    const theirs = (await association())!;
    sandbox.controls.resetCalls();

    const dryRun = await provisioner.provision(
      { ...input, adopt: true },
      { caller: mayAdopt, dryRun: true },
    );
    expect(dryRun.plan.association?.change).toBe('adopt');
    expect(planOutputs(dryRun.plan).associationId).toBe(theirs.associationId);

    const log: string[] = [];
    const { result } = await provisioner.provision(
      { ...input, adopt: true },
      { caller: mayAdopt, log: m => log.push(m) },
    );
    expect(result?.associationId).toBe(theirs.associationId);
    expect(await association()).toEqual({
      ...theirs,
      roleArn,
      disableSessionTags: false,
      tags: { ...ownership, team: 'shop' },
      modifiedAt: expect.any(String),
    });
    // Never deleted: pods keep their credentials throughout.
    expect(eksWrites(sandbox)).toEqual([
      'tagResource',
      'updatePodIdentityAssociation',
    ]);
    expect(log).toContain(
      `Updating Pod Identity association ${theirs.associationId} of shop/cart: from role ${otherRoleArn} to role ${roleArn}, session tags on`,
    );
  });

  it("removes another entity's irsa.dev/* tags, and a failed run puts back exactly its tags and role, same id", async () => {
    const { provisioner, sandbox, association, otherRole } = await setup();
    await otherRole();
    const theirTags = {
      'irsa.dev/managed-by': 'backstage-irsa',
      'irsa.dev/entity-ref': 'component:default/old-cart',
      'irsa.dev/owner': 'group:default/old',
      'irsa.dev/note': 'from an older release',
      team: 'shop',
    };
    await sandbox.eks.createPodIdentityAssociation(target, {
      clusterName: 'sandbox',
      namespace: 'shop',
      serviceAccount: 'cart',
      roleArn: otherRoleArn,
      tags: theirTags,
    });
    const theirs = (await association())!;
    const id = theirs.associationId;
    sandbox.controls.resetCalls();
    sandbox.controls.failNext(
      'createServiceAccount',
      refused('k8s:create serviceaccounts'),
    );

    const error = (await provisioner
      .provision({ ...input, adopt: true }, { caller: mayAdopt })
      .catch(e => e)) as ProvisionError;
    expect(error).toBeInstanceOf(ProvisionError);
    expect(error.step).toBe('create ServiceAccount');
    expect(error.leftBehind).toEqual([]);
    expect(error.rolledBack.slice(0, 3)).toEqual([
      `Pod Identity association ${id} (back to role ${otherRoleArn})`,
      `tags removed from Pod Identity association ${id}`,
      `tags of Pod Identity association ${id}`,
    ]);
    expect(await association()).toEqual({
      ...theirs,
      modifiedAt: expect.any(String),
    });
    expect(eksWrites(sandbox)).toEqual([
      'tagResource',
      'untagResource',
      'updatePodIdentityAssociation',
      // The rollback, newest first.
      'updatePodIdentityAssociation',
      'tagResource',
      'untagResource',
      'tagResource',
    ]);

    // A retry adopts it again, still in place.
    const { result } = await provisioner.provision(
      { ...input, adopt: true },
      { caller: mayAdopt },
    );
    expect(result?.associationId).toBe(id);
    expect(await association()).toMatchObject({
      associationId: id,
      roleArn,
      tags: { ...ownership, team: 'shop' },
    });
  });
});
