import {
  createSandbox,
  SANDBOX_ACCOUNT_ID,
  SANDBOX_WIRING_SCENARIOS,
  type Sandbox,
} from '.';

const target = { accountId: SANDBOX_ACCOUNT_ID, region: 'us-east-1' };
const legacy = { accountId: SANDBOX_ACCOUNT_ID, region: 'us-west-2' };
const ledger = SANDBOX_WIRING_SCENARIOS.find(
  s => s.id === 'pod-identity-healthy',
)!;
const NOW = '2026-11-27T10:00:00.000Z';

describe('sandbox EKS: Pod Identity associations', () => {
  let sandbox: Sandbox;
  let now: Date;
  beforeEach(async () => {
    now = new Date(NOW);
    sandbox = await createSandbox({ now: () => now });
  });

  const create = (
    input: Partial<{ namespace: string; roleArn: string }> = {},
  ) =>
    sandbox.eks.createPodIdentityAssociation(target, {
      clusterName: 'sandbox',
      namespace: input.namespace ?? 'shop',
      serviceAccount: 'cart',
      roleArn: input.roleArn ?? ledger.roleArn,
      tags: { 'irsa.dev/managed-by': 'backstage-irsa' },
    });

  it('creates an association with an EKS id and ARN, timestamps and tags, and describes it', async () => {
    const created = await create();
    expect(created.associationId).toMatch(/^a-[a-z0-9]{17}$/);
    expect(created).toEqual({
      associationId: created.associationId,
      associationArn: `arn:aws:eks:us-east-1:111122223333:podidentityassociation/sandbox/${created.associationId}`,
      clusterName: 'sandbox',
      namespace: 'shop',
      serviceAccount: 'cart',
      roleArn: ledger.roleArn,
      disableSessionTags: false,
      tags: { 'irsa.dev/managed-by': 'backstage-irsa' },
      createdAt: NOW,
      modifiedAt: NOW,
    });
    await expect(
      sandbox.eks.describePodIdentityAssociation(
        target,
        'sandbox',
        created.associationId,
      ),
    ).resolves.toEqual(created);
  });

  it('lists summaries without the role, filtered by namespace and ServiceAccount', async () => {
    const created = await create();
    const summary = {
      associationId: created.associationId,
      associationArn: created.associationArn,
      clusterName: 'sandbox',
      namespace: 'shop',
      serviceAccount: 'cart',
    };
    expect(
      await sandbox.eks.listPodIdentityAssociations(target, 'sandbox', {
        namespace: 'shop',
      }),
    ).toEqual([summary]);
    expect(
      await sandbox.eks.listPodIdentityAssociations(target, 'sandbox', {
        namespace: 'shop',
        serviceAccount: 'other',
      }),
    ).toEqual([]);
    const all = await sandbox.eks.listPodIdentityAssociations(
      target,
      'sandbox',
    );
    // The seeded ledger-api and catalog-api associations, then this one.
    expect(all.map(a => `${a.namespace}/${a.serviceAccount}`)).toEqual([
      'ledger/ledger-api',
      'catalog/catalog-api',
      'shop/cart',
    ]);
  });

  it('refuses a second association for the same namespace and ServiceAccount', async () => {
    const first = await create();
    await expect(create()).rejects.toMatchObject({
      kind: 'already-exists',
      code: 'ResourceInUseException',
      message: `eks:CreatePodIdentityAssociation: Association already exists: ${first.associationId}`,
    });
    // Another namespace is another ServiceAccount.
    await expect(create({ namespace: 'shop-2' })).resolves.toMatchObject({
      namespace: 'shop-2',
    });
  });

  it('validates the role like EKS: ARN format, existence in the cluster account, a Pod Identity trust', async () => {
    await expect(create({ roleArn: 'ledger-api' })).rejects.toMatchObject({
      kind: 'invalid-input',
      code: 'InvalidParameterException',
      message:
        'eks:CreatePodIdentityAssociation: roleArn: "ledger-api" is not an IAM role ARN (arn:aws:iam::ACCOUNT:role/NAME)',
    });
    await expect(
      create({ roleArn: 'arn:aws:iam::111122223333:role/nobody' }),
    ).rejects.toMatchObject({
      kind: 'invalid-input',
      message:
        'eks:CreatePodIdentityAssociation: Role provided in the request does not exist',
    });
    await expect(
      create({
        roleArn:
          'arn:aws:iam::444455556666:role/irsa-sandbox-ledger-ledger-api',
      }),
    ).rejects.toMatchObject({
      message:
        'eks:CreatePodIdentityAssociation: Role provided in the request does not exist',
    });
    // An IRSA-only trust does not name pods.eks.amazonaws.com.
    await expect(
      create({
        roleArn:
          'arn:aws:iam::111122223333:role/irsa-sandbox-payments-payments-api',
      }),
    ).rejects.toMatchObject({
      kind: 'invalid-input',
      message:
        'eks:CreatePodIdentityAssociation: Trust policy of the role provided is invalid',
    });
    expect(
      await sandbox.eks.listPodIdentityAssociations(target, 'sandbox', {
        namespace: 'shop',
      }),
    ).toEqual([]);
  });

  it('refuses an unknown cluster, empty names and more than 50 tags', async () => {
    await expect(
      sandbox.eks.createPodIdentityAssociation(target, {
        clusterName: 'sandbox-legacy', // in us-west-2, not this region
        namespace: 'shop',
        serviceAccount: 'cart',
        roleArn: ledger.roleArn,
        tags: {},
      }),
    ).rejects.toMatchObject({
      kind: 'not-found',
      code: 'ResourceNotFoundException',
      message:
        'eks:CreatePodIdentityAssociation: No cluster found for name: sandbox-legacy.',
    });
    await expect(
      sandbox.eks.createPodIdentityAssociation(target, {
        clusterName: 'sandbox',
        namespace: '',
        serviceAccount: 'cart',
        roleArn: ledger.roleArn,
        tags: {},
      }),
    ).rejects.toMatchObject({
      kind: 'invalid-input',
      message: 'eks:CreatePodIdentityAssociation: namespace: must not be empty',
    });
    await expect(
      sandbox.eks.createPodIdentityAssociation(target, {
        clusterName: 'sandbox',
        namespace: 'shop',
        serviceAccount: 'cart',
        roleArn: ledger.roleArn,
        tags: Object.fromEntries(
          Array.from({ length: 51 }, (_, i) => [`k${i}`, 'v']),
        ),
      }),
    ).rejects.toMatchObject({
      kind: 'invalid-input',
      message:
        'eks:CreatePodIdentityAssociation: tags: at most 50 tags, got 51',
    });
  });

  it('generates an external id with a target role, updates fields and modifiedAt, removes the target with ""', async () => {
    const created = await create();
    now = new Date('2026-11-27T11:00:00.000Z');
    const chained = await sandbox.eks.updatePodIdentityAssociation(
      target,
      'sandbox',
      created.associationId,
      {
        targetRoleArn: 'arn:aws:iam::444455556666:role/shop-cart',
        disableSessionTags: true,
      },
    );
    expect(chained).toMatchObject({
      roleArn: ledger.roleArn,
      targetRoleArn: 'arn:aws:iam::444455556666:role/shop-cart',
      externalId: expect.stringMatching(/^[0-9a-f-]{36}$/),
      disableSessionTags: true,
      createdAt: NOW,
      modifiedAt: '2026-11-27T11:00:00.000Z',
    });
    const unchained = await sandbox.eks.updatePodIdentityAssociation(
      target,
      'sandbox',
      created.associationId,
      { targetRoleArn: '' },
    );
    expect(unchained.targetRoleArn).toBeUndefined();
    expect(unchained.externalId).toBeUndefined();
    expect(unchained.disableSessionTags).toBe(true);
    await expect(
      sandbox.eks.updatePodIdentityAssociation(
        target,
        'sandbox',
        created.associationId,
        { roleArn: 'arn:aws:iam::111122223333:role/nobody' },
      ),
    ).rejects.toMatchObject({
      kind: 'invalid-input',
      message:
        'eks:UpdatePodIdentityAssociation: Role provided in the request does not exist',
    });
  });

  it('answers not-found for an unknown association id, and deletes', async () => {
    const created = await create();
    await sandbox.eks.deletePodIdentityAssociation(
      target,
      'sandbox',
      created.associationId,
    );
    for (const call of [
      () =>
        sandbox.eks.describePodIdentityAssociation(
          target,
          'sandbox',
          created.associationId,
        ),
      () =>
        sandbox.eks.updatePodIdentityAssociation(
          target,
          'sandbox',
          created.associationId,
          { disableSessionTags: true },
        ),
      () =>
        sandbox.eks.deletePodIdentityAssociation(
          target,
          'sandbox',
          created.associationId,
        ),
    ]) {
      await expect(call()).rejects.toMatchObject({
        kind: 'not-found',
        code: 'ResourceNotFoundException',
        message: expect.stringContaining(
          `No Pod Identity Association found for id: ${created.associationId}.`,
        ),
      });
    }
  });

  it('tags and untags an association by ARN in place: same id, other tags kept, missing keys ignored', async () => {
    const created = await create();
    const describe = () =>
      sandbox.eks.describePodIdentityAssociation(
        target,
        'sandbox',
        created.associationId,
      );
    await sandbox.eks.tagResource(target, created.associationArn, {
      'irsa.dev/managed-by': 'backstage-irsa',
      'irsa.dev/entity-ref': 'component:default/cart',
      team: 'shop',
    });
    expect(await describe()).toEqual({
      ...created,
      tags: {
        'irsa.dev/managed-by': 'backstage-irsa',
        'irsa.dev/entity-ref': 'component:default/cart',
        team: 'shop',
      },
    });
    await sandbox.eks.untagResource(target, created.associationArn, [
      'irsa.dev/entity-ref',
      'never-set',
    ]);
    expect((await describe()).tags).toEqual({
      'irsa.dev/managed-by': 'backstage-irsa',
      team: 'shop',
    });
  });

  it('answers not-found for an ARN it does not know, also one of another region, and refuses bad tags', async () => {
    const created = await create();
    const gone = created.associationArn.replace(/a-[a-z0-9]+$/, 'a-gone');
    for (const [where, arn] of [
      [target, gone],
      [legacy, created.associationArn],
    ] as const) {
      await expect(
        sandbox.eks.tagResource(where, arn, { a: 'b' }),
      ).rejects.toMatchObject({
        kind: 'not-found',
        operation: 'eks:TagResource',
        code: 'NotFoundException',
      });
      await expect(
        sandbox.eks.untagResource(where, arn, ['a']),
      ).rejects.toMatchObject({ kind: 'not-found', code: 'NotFoundException' });
    }
    const invalid = { kind: 'invalid-input', code: 'BadRequestException' };
    await expect(
      sandbox.eks.tagResource(target, created.associationArn, {}),
    ).rejects.toMatchObject(invalid);
    await expect(
      sandbox.eks.untagResource(target, created.associationArn, []),
    ).rejects.toMatchObject(invalid);
    await expect(
      sandbox.eks.tagResource(target, created.associationArn, {
        'aws:cloudformation:stack-name': 'x',
      }),
    ).rejects.toMatchObject(invalid);
    const many = Object.fromEntries(
      Array.from({ length: 50 }, (_, i) => [`k${i}`, 'v']),
    );
    // One tag already there: 50 more would make 51.
    await expect(
      sandbox.eks.tagResource(target, created.associationArn, many),
    ).rejects.toMatchObject({
      ...invalid,
      message:
        'eks:TagResource: tags: at most 50 tags per resource, would be 51',
    });
    expect(
      (
        await sandbox.eks.describePodIdentityAssociation(
          target,
          'sandbox',
          created.associationId,
        )
      ).tags,
    ).toEqual({ 'irsa.dev/managed-by': 'backstage-irsa' });
  });

  it('accepts a role whose trust allows both IRSA and Pod Identity', async () => {
    const roleName = 'irsa-sandbox-payments-payments-api';
    const role = await sandbox.iam.getRole(target, roleName);
    await sandbox.iam.updateTrustPolicy(target, roleName, {
      ...role.trustPolicy,
      Statement: [
        ...role.trustPolicy.Statement,
        {
          Effect: 'Allow',
          Principal: { Service: 'pods.eks.amazonaws.com' },
          Action: ['sts:AssumeRole', 'sts:TagSession'],
        },
      ],
    });
    await expect(create({ roleArn: role.arn })).resolves.toMatchObject({
      roleArn: role.arn,
    });
  });
});

describe('sandbox EKS: the Pod Identity agent', () => {
  let sandbox: Sandbox;
  beforeEach(async () => {
    sandbox = await createSandbox();
  });

  it('runs on sandbox as an ACTIVE add-on with its kube-system DaemonSet', async () => {
    await expect(
      sandbox.eks.describeAddon(target, 'sandbox', 'eks-pod-identity-agent'),
    ).resolves.toEqual({
      name: 'eks-pod-identity-agent',
      status: 'ACTIVE',
      version: 'v1.3.8-eksbuild.2',
    });
    await expect(
      sandbox.kubernetes.getDaemonSet(
        'sandbox',
        'kube-system',
        'eks-pod-identity-agent',
      ),
    ).resolves.toEqual({
      namespace: 'kube-system',
      name: 'eks-pod-identity-agent',
      desiredNumberScheduled: 3,
      numberReady: 3,
      image:
        '602401143452.dkr.ecr.us-east-1.amazonaws.com/eks/eks-pod-identity-agent:0.1.29',
    });
  });

  it('is not installed on sandbox-legacy: DescribeAddon is not-found and there is no DaemonSet', async () => {
    await expect(
      sandbox.eks.describeAddon(
        legacy,
        'sandbox-legacy',
        'eks-pod-identity-agent',
      ),
    ).rejects.toMatchObject({
      kind: 'not-found',
      code: 'ResourceNotFoundException',
      message:
        'eks:DescribeAddon: No addon: eks-pod-identity-agent found in cluster: sandbox-legacy',
    });
    await expect(
      sandbox.kubernetes.getDaemonSet(
        'sandbox-legacy',
        'kube-system',
        'eks-pod-identity-agent',
      ),
    ).resolves.toBeUndefined();
  });

  it('follows the control: a degraded rollout, then removal', async () => {
    sandbox.controls.setPodIdentityAgent('sandbox', {
      status: 'DEGRADED',
      ready: 1,
    });
    await expect(
      sandbox.eks.describeAddon(target, 'sandbox', 'eks-pod-identity-agent'),
    ).resolves.toMatchObject({ status: 'DEGRADED' });
    await expect(
      sandbox.kubernetes.getDaemonSet(
        'sandbox',
        'kube-system',
        'eks-pod-identity-agent',
      ),
    ).resolves.toMatchObject({ desiredNumberScheduled: 3, numberReady: 1 });
    sandbox.controls.setPodIdentityAgent('sandbox', null);
    await expect(
      sandbox.eks.describeAddon(target, 'sandbox', 'eks-pod-identity-agent'),
    ).rejects.toMatchObject({ kind: 'not-found' });
  });

  it('refuses getDaemonSet when RBAC does', async () => {
    sandbox.controls.denyAccess('sandbox', {
      verb: 'get',
      resource: 'daemonsets',
      group: 'apps',
      namespace: 'kube-system',
    });
    await expect(
      sandbox.kubernetes.getDaemonSet(
        'sandbox',
        'kube-system',
        'eks-pod-identity-agent',
      ),
    ).rejects.toMatchObject({
      kind: 'access-denied',
      code: '403',
      message:
        'k8s:get daemonsets: daemonsets "eks-pod-identity-agent" is forbidden: User "system:serviceaccount:backstage:backstage" cannot get resource "daemonsets" in API group "apps" in the namespace "kube-system"',
    });
  });
});
