import {
  EKS_ROLE_ARN_ANNOTATION,
  buildTrustPolicy,
} from '@backstage-irsa/plugin-irsa-common';
import { GatewayError } from '@backstage-irsa/plugin-irsa-node';
import {
  createSandbox,
  SANDBOX_ACCOUNT_ID,
  SANDBOX_SCENARIOS,
  type Sandbox,
} from '.';

const target = { accountId: SANDBOX_ACCOUNT_ID, region: 'us-east-1' };
const scenario = (id: string) => SANDBOX_SCENARIOS.find(s => s.id === id)!;

async function exchange(
  sandbox: Sandbox,
  id: string,
  options?: { audience?: string; roleArn?: string },
) {
  const s = scenario(id);
  const { token } = await sandbox.kubernetes.requestServiceAccountToken(
    s.cluster,
    s.namespace,
    s.serviceAccount,
    {
      audience: options?.audience ?? 'sts.amazonaws.com',
      expirationSeconds: 600,
    },
  );
  return sandbox.sts.assumeRoleWithWebIdentity(target, {
    roleArn: options?.roleArn ?? s.roleArn,
    webIdentityToken: token,
    sessionName: 'test',
  });
}

describe('sandbox', () => {
  let sandbox: Sandbox;
  beforeEach(async () => {
    sandbox = await createSandbox();
  });

  describe('AssumeRoleWithWebIdentity evaluates the trust policy', () => {
    it('lets the healthy ServiceAccount assume its role', async () => {
      await expect(exchange(sandbox, 'healthy')).resolves.toMatchObject({
        assumedRoleArn: `arn:aws:sts::${SANDBOX_ACCOUNT_ID}:assumed-role/irsa-sandbox-payments-payments-api/test`,
        subjectFromWebIdentityToken:
          'system:serviceaccount:payments:payments-api',
        audience: 'sts.amazonaws.com',
      });
      const role = await sandbox.iam.getRole(
        target,
        'irsa-sandbox-payments-payments-api',
      );
      expect(role.roleLastUsed?.region).toBe('us-east-1');
    });

    it('denies a token whose sub names another namespace', async () => {
      await expect(
        exchange(sandbox, 'trust-wrong-namespace'),
      ).rejects.toMatchObject({
        kind: 'access-denied',
        code: 'AccessDenied',
        message:
          'sts:AssumeRoleWithWebIdentity: Not authorized to perform sts:AssumeRoleWithWebIdentity',
      });
    });

    it('accepts a trust policy without an aud condition (the check warns, STS does not)', async () => {
      await expect(
        exchange(sandbox, 'trust-no-audience'),
      ).resolves.toMatchObject({
        assumedRoleArn: expect.stringMatching(
          /^arn:aws:sts::111122223333:assumed-role\/irsa-sandbox-[a-z-]+\/test$/,
        ),
      });
    });

    it('rejects an audience the OIDC provider does not list', async () => {
      await expect(
        exchange(sandbox, 'healthy', { audience: 'other' }),
      ).rejects.toMatchObject({
        kind: 'invalid-token',
        message: 'sts:AssumeRoleWithWebIdentity: Incorrect token audience',
      });
    });

    it('rejects tokens of a cluster whose issuer has no IAM OIDC provider', async () => {
      await expect(
        exchange(sandbox, 'oidc-missing', {
          roleArn: scenario('oidc-missing').roleArn,
        }),
      ).rejects.toMatchObject({
        kind: 'invalid-token',
        code: 'InvalidIdentityToken',
        message: expect.stringContaining(
          'No OpenIDConnect provider found in your account for https://oidc.eks.us-west-2',
        ),
      });
    });

    it('denies a deleted role', async () => {
      await expect(exchange(sandbox, 'role-deleted')).rejects.toMatchObject({
        kind: 'access-denied',
      });
    });

    it('rejects a forged token and an expired one', async () => {
      const s = scenario('healthy');
      const { token } = await sandbox.kubernetes.requestServiceAccountToken(
        s.cluster,
        s.namespace,
        s.serviceAccount,
        {
          audience: 'sts.amazonaws.com',
          expirationSeconds: 600,
        },
      );
      const [header, payload] = token.split('.');
      const claims = JSON.parse(Buffer.from(payload, 'base64url').toString());
      const forged = `${header}.${Buffer.from(JSON.stringify({ ...claims, sub: 'system:serviceaccount:payments:x' })).toString('base64url')}.${token.split('.')[2]}`;
      await expect(
        sandbox.sts.assumeRoleWithWebIdentity(target, {
          roleArn: s.roleArn,
          webIdentityToken: forged,
          sessionName: 't',
        }),
      ).rejects.toMatchObject({
        kind: 'invalid-token',
        code: 'InvalidIdentityToken',
      });

      let now = new Date('2026-01-01T00:00:00Z');
      const clocked = await createSandbox({ now: () => now });
      const fresh = await clocked.kubernetes.requestServiceAccountToken(
        s.cluster,
        s.namespace,
        s.serviceAccount,
        {
          audience: 'sts.amazonaws.com',
          expirationSeconds: 600,
        },
      );
      now = new Date('2026-01-01T00:10:01Z');
      await expect(
        clocked.sts.assumeRoleWithWebIdentity(target, {
          roleArn: s.roleArn,
          webIdentityToken: fresh.token,
          sessionName: 't',
        }),
      ).rejects.toMatchObject({
        kind: 'invalid-token',
        code: 'ExpiredTokenException',
      });
    });

    it('honours StringLike wildcards and a Deny statement', async () => {
      const s = scenario('healthy');
      const roleName = 'irsa-sandbox-payments-payments-api';
      const issuer =
        'oidc.eks.us-east-1.amazonaws.com/id/5A4D1E0B8C0F4E2B9D7A6C3E1F0B2D4A';
      const provider = `arn:aws:iam::${SANDBOX_ACCOUNT_ID}:oidc-provider/${issuer}`;
      const wildcard = buildTrustPolicy({
        oidcProviderArn: provider,
        issuer,
        namespace: 'payments',
        serviceAccount: '*',
        allowWildcardSubject: true,
      }).document;
      await sandbox.iam.updateTrustPolicy(target, roleName, wildcard);
      await expect(exchange(sandbox, 'healthy')).resolves.toMatchObject({
        assumedRoleArn:
          'arn:aws:sts::111122223333:assumed-role/irsa-sandbox-payments-payments-api/test',
      });
      await sandbox.iam.updateTrustPolicy(target, roleName, {
        ...wildcard,
        Statement: [
          ...wildcard.Statement,
          {
            Effect: 'Deny',
            Principal: { Federated: provider },
            Action: 'sts:AssumeRoleWithWebIdentity',
            Condition: {
              StringEquals: {
                [`${issuer}:sub`]: `system:serviceaccount:payments:${s.serviceAccount}`,
              },
            },
          },
        ],
      });
      await expect(exchange(sandbox, 'healthy')).rejects.toMatchObject({
        kind: 'access-denied',
      });
    });
  });

  describe('the pod identity webhook', () => {
    it('injects credentials only into pods created after the annotation', async () => {
      const s = scenario('pods-before-annotation');
      const before = await sandbox.kubernetes.listPodsForServiceAccount(
        s.cluster,
        s.namespace,
        s.serviceAccount,
      );
      expect(before).toHaveLength(2);
      expect(
        before.every(p => p.containers[0].env.AWS_ROLE_ARN === undefined),
      ).toBe(true);
      const account = await sandbox.kubernetes.getServiceAccount(
        s.cluster,
        s.namespace,
        s.serviceAccount,
      );
      expect(account?.annotations[EKS_ROLE_ARN_ANNOTATION]).toBe(s.roleArn);

      sandbox.controls.restartPods(s.cluster, s.namespace, s.serviceAccount);
      const after = await sandbox.kubernetes.listPodsForServiceAccount(
        s.cluster,
        s.namespace,
        s.serviceAccount,
      );
      expect(after).toHaveLength(2);
      expect(after[0].containers[0].env).toMatchObject({
        AWS_ROLE_ARN: s.roleArn,
        AWS_WEB_IDENTITY_TOKEN_FILE:
          '/var/run/secrets/eks.amazonaws.com/serviceaccount/token',
      });
      expect(after[0].projectedToken).toEqual({
        volumeName: 'aws-iam-token',
        audience: 'sts.amazonaws.com',
        path: 'token',
      });
    });

    it('merge-patches annotations without touching the others', async () => {
      const s = scenario('healthy');
      // Whatever else the seed wrote must survive the patches.
      const before = (await sandbox.kubernetes.getServiceAccount(
        s.cluster,
        s.namespace,
        s.serviceAccount,
      ))!;
      expect(before.annotations[EKS_ROLE_ARN_ANNOTATION]).toBe(s.roleArn);
      expect(before.labels['app.kubernetes.io/name']).toBe('payments-api');
      await sandbox.kubernetes.patchServiceAccountAnnotations(
        s.cluster,
        s.namespace,
        s.serviceAccount,
        { team: 'payments' },
      );
      const patched = await sandbox.kubernetes.patchServiceAccountAnnotations(
        s.cluster,
        s.namespace,
        s.serviceAccount,
        { team: null, other: 'x' },
      );
      expect(patched.annotations).toEqual({
        ...before.annotations,
        other: 'x',
      });
      expect(patched.labels).toEqual(before.labels);
    });

    it('refuses token requests shorter than ten minutes and for unknown ServiceAccounts', async () => {
      await expect(
        sandbox.kubernetes.requestServiceAccountToken(
          'sandbox',
          'payments',
          'payments-api',
          { audience: 'sts.amazonaws.com', expirationSeconds: 599 },
        ),
      ).rejects.toMatchObject({ kind: 'invalid-input', code: '422' });
      await expect(
        sandbox.kubernetes.requestServiceAccountToken(
          'sandbox',
          'payments',
          'nobody',
          { audience: 'sts.amazonaws.com', expirationSeconds: 600 },
        ),
      ).rejects.toMatchObject({ kind: 'not-found', code: '404' });
      await expect(
        sandbox.kubernetes.getServiceAccount('sandbox', 'payments', 'nobody'),
      ).resolves.toBeUndefined();
    });
  });

  describe('IAM semantics', () => {
    const trust = buildTrustPolicy({
      oidcProviderArn: 'arn:aws:iam::111122223333:oidc-provider/x',
      issuer: 'x',
      namespace: 'n',
      serviceAccount: 's',
    }).document;

    it('answers NoSuchEntity, EntityAlreadyExists and DeleteConflict like IAM', async () => {
      await expect(sandbox.iam.getRole(target, 'nope')).rejects.toMatchObject({
        kind: 'not-found',
        code: 'NoSuchEntity',
      });
      await expect(
        sandbox.iam.createRole(target, {
          name: 'irsa-sandbox-payments-payments-api',
          path: '/',
          trustPolicy: trust,
          tags: {},
        }),
      ).rejects.toMatchObject({
        kind: 'already-exists',
        code: 'EntityAlreadyExists',
      });
      await expect(
        sandbox.iam.deleteRole(target, 'irsa-sandbox-payments-payments-api'),
      ).rejects.toMatchObject({
        kind: 'conflict',
        code: 'DeleteConflict',
      });
      const error = await sandbox.iam.getRole(target, 'nope').catch(e => e);
      expect(error).toBeInstanceOf(GatewayError);
      expect(error.requestId).toMatch(/^[0-9a-f-]{36}$/);
    });

    it('keeps five policy versions, pruning the oldest non-default one', async () => {
      const policy = await sandbox.iam.createPolicy(target, {
        name: 'p',
        path: '/',
        document: trust,
        tags: {},
      });
      for (let i = 0; i < 6; i++)
        await sandbox.iam.createPolicyVersion(target, policy.arn, trust);
      const versions = await sandbox.iam.listPolicyVersions(target, policy.arn);
      expect(versions.map(v => [v.versionId, v.isDefault])).toEqual([
        ['v3', false],
        ['v4', false],
        ['v5', false],
        ['v6', false],
        ['v7', true],
      ]);
    });

    it('refuses policies over the size quota', async () => {
      const huge = {
        Version: '2012-10-17' as const,
        Statement: [
          {
            Effect: 'Allow' as const,
            Action: 's3:GetObject',
            Resource: Array.from(
              { length: 300 },
              (_, i) => `arn:aws:s3:::bucket-${i}/*`,
            ),
          },
        ],
      };
      await expect(
        sandbox.iam.createPolicy(target, {
          name: 'big',
          path: '/',
          document: huge,
          tags: {},
        }),
      ).rejects.toMatchObject({
        kind: 'limit-exceeded',
        code: 'LimitExceeded',
      });
    });
  });

  describe('seeded world', () => {
    it('has the two clusters, their networks and the OIDC provider of the first only', async () => {
      expect(sandbox.clusters.map(c => [c.name, c.region])).toEqual([
        ['sandbox', 'us-east-1'],
        ['sandbox-legacy', 'us-west-2'],
      ]);
      const issuer =
        'oidc.eks.us-east-1.amazonaws.com/id/5A4D1E0B8C0F4E2B9D7A6C3E1F0B2D4A';
      const providerArn = (host: string) =>
        `arn:aws:iam::111122223333:oidc-provider/${host}`;
      expect(
        await sandbox.iam.getOidcProvider(target, providerArn(issuer)),
      ).toEqual({
        arn: providerArn(issuer),
        url: issuer,
        clientIds: ['sts.amazonaws.com'],
        thumbprints: ['9e99a48a9960b14926bb7f3b02e22da2b0ab7280'],
      });
      await expect(
        sandbox.iam.getOidcProvider(
          target,
          providerArn(
            'oidc.eks.us-west-2.amazonaws.com/id/0C1D2E3F405162738495A6B7C8D9E0F1',
          ),
        ),
      ).rejects.toMatchObject({ kind: 'not-found', code: 'NoSuchEntity' });
      const nats = await sandbox.network.describeNatGateways(target, {
        vpcId: 'vpc-0a1b2c3d4e5f60718',
      });
      expect(nats.flatMap(n => n.publicIps)).toEqual([
        '203.0.113.10',
        '203.0.113.20',
      ]);
    });

    it('seeds every scenario with a ServiceAccount and two running pods', async () => {
      for (const s of SANDBOX_SCENARIOS) {
        const pods = await sandbox.kubernetes.listPodsForServiceAccount(
          s.cluster,
          s.namespace,
          s.serviceAccount,
        );
        expect(pods.map(p => p.phase)).toEqual(['Running', 'Running']);
        await expect(
          sandbox.kubernetes.getServiceAccount(
            s.cluster,
            s.namespace,
            s.serviceAccount,
          ),
        ).resolves.toMatchObject({
          namespace: s.namespace,
          name: s.serviceAccount,
        });
      }
    });
  });

  describe('controls', () => {
    it('logs calls with their write flag and injects failures and throttling', async () => {
      sandbox.controls.resetCalls();
      await sandbox.iam.getRole(target, 'irsa-sandbox-payments-payments-api');
      await sandbox.iam.tagRole(target, 'irsa-sandbox-payments-payments-api', {
        a: 'b',
      });
      await sandbox.eks.describeCluster(target, 'sandbox');
      expect(
        sandbox.controls.calls.map(c => [c.service, c.operation, c.write]),
      ).toEqual([
        ['iam', 'getRole', false],
        ['iam', 'tagRole', true],
        ['eks', 'describeCluster', false],
      ]);

      sandbox.controls.failNext(
        'getRole',
        new GatewayError({
          kind: 'unavailable',
          operation: 'iam:GetRole',
          message: 'boom',
        }),
      );
      await expect(
        sandbox.iam.getRole(target, 'irsa-sandbox-payments-payments-api'),
      ).rejects.toMatchObject({ kind: 'unavailable' });
      await expect(
        sandbox.iam.getRole(target, 'irsa-sandbox-payments-payments-api'),
      ).resolves.toMatchObject({ name: 'irsa-sandbox-payments-payments-api' });

      sandbox.controls.setThrottleRate(0.5);
      const outcomes = await Promise.allSettled(
        Array.from({ length: 4 }, () =>
          sandbox.iam.getRole(target, 'irsa-sandbox-payments-payments-api'),
        ),
      );
      expect(outcomes.filter(o => o.status === 'rejected')).toHaveLength(2);
      expect(
        (outcomes.find(o => o.status === 'rejected') as PromiseRejectedResult)
          .reason,
      ).toMatchObject({ kind: 'throttled', code: 'Throttling' });
    });
  });
});

describe('sandbox Kubernetes RBAC and ServiceAccount metadata', () => {
  let sandbox: Sandbox;
  beforeEach(async () => {
    sandbox = await createSandbox();
  });

  const rights = [
    { verb: 'get', resource: 'serviceaccounts', namespace: 'payments' },
    { verb: 'create', resource: 'serviceaccounts', namespace: 'payments' },
    { verb: 'patch', resource: 'serviceaccounts', namespace: 'payments' },
    {
      verb: 'create',
      resource: 'serviceaccounts',
      subresource: 'token',
      namespace: 'payments',
    },
  ];

  it('reviews access as allowed until a right is denied, and only in the denied namespace', async () => {
    expect(
      (await sandbox.kubernetes.reviewAccess('sandbox', rights)).map(
        r => r.allowed,
      ),
    ).toEqual([true, true, true, true]);
    sandbox.controls.denyAccess('sandbox', {
      verb: 'patch',
      resource: 'serviceaccounts',
      namespace: 'payments',
    });
    sandbox.controls.denyAccess('sandbox', {
      verb: 'create',
      resource: 'serviceaccounts',
      subresource: 'token',
    });
    expect(await sandbox.kubernetes.reviewAccess('sandbox', rights)).toEqual([
      { ...rights[0], allowed: true },
      { ...rights[1], allowed: true },
      { ...rights[2], allowed: false },
      { ...rights[3], allowed: false },
    ]);
    expect(
      await sandbox.kubernetes.reviewAccess('sandbox', [
        { verb: 'patch', resource: 'serviceaccounts', namespace: 'orders' },
        {
          verb: 'create',
          resource: 'serviceaccounts',
          subresource: 'token',
          namespace: 'orders',
        },
      ]),
    ).toEqual([
      {
        verb: 'patch',
        resource: 'serviceaccounts',
        namespace: 'orders',
        allowed: true,
      },
      {
        verb: 'create',
        resource: 'serviceaccounts',
        subresource: 'token',
        namespace: 'orders',
        allowed: false,
      },
    ]);
    // The other sandbox cluster has its own RBAC.
    expect(
      (await sandbox.kubernetes.reviewAccess('sandbox-legacy', rights)).map(
        r => r.allowed,
      ),
    ).toEqual([true, true, true, true]);
  });

  it('deletes a ServiceAccount only at the version read, and as RBAC allows', async () => {
    const s = scenario('healthy');
    const read = await sandbox.kubernetes.getServiceAccount(
      s.cluster,
      s.namespace,
      s.serviceAccount,
    );
    const remove = (expectedResourceVersion: string) =>
      sandbox.kubernetes.deleteServiceAccount(
        s.cluster,
        s.namespace,
        s.serviceAccount,
        { expectedResourceVersion },
      );
    await expect(remove(`${read!.resourceVersion}0`)).rejects.toMatchObject({
      kind: 'conflict',
      code: '409',
    });
    sandbox.controls.denyAccess(s.cluster, {
      verb: 'delete',
      resource: 'serviceaccounts',
    });
    await expect(remove(read!.resourceVersion)).rejects.toMatchObject({
      kind: 'access-denied',
      code: '403',
    });
    sandbox.controls.allowAccess(s.cluster, {
      verb: 'delete',
      resource: 'serviceaccounts',
    });
    await remove(read!.resourceVersion);
    expect(
      await sandbox.kubernetes.getServiceAccount(
        s.cluster,
        s.namespace,
        s.serviceAccount,
      ),
    ).toBeUndefined();
    await expect(remove(read!.resourceVersion)).rejects.toMatchObject({
      kind: 'not-found',
      code: '404',
    });
  });

  it('refuses denied writes with 403 like RBAC and leaves the ServiceAccount unchanged', async () => {
    const s = scenario('healthy');
    const before = await sandbox.kubernetes.getServiceAccount(
      s.cluster,
      s.namespace,
      s.serviceAccount,
    );
    for (const verb of ['create', 'patch']) {
      sandbox.controls.denyAccess(s.cluster, {
        verb,
        resource: 'serviceaccounts',
        namespace: s.namespace,
      });
    }
    sandbox.controls.denyAccess(s.cluster, {
      verb: 'create',
      resource: 'serviceaccounts',
      subresource: 'token',
      namespace: s.namespace,
    });
    await expect(
      sandbox.kubernetes.createServiceAccount(s.cluster, {
        namespace: s.namespace,
        name: 'new-sa',
        annotations: {},
      }),
    ).rejects.toMatchObject({
      name: 'GatewayError',
      kind: 'access-denied',
      code: '403',
      message: `k8s:create serviceaccounts: serviceaccounts is forbidden: User "system:serviceaccount:backstage:backstage" cannot create resource "serviceaccounts" in API group "" in the namespace "${s.namespace}"`,
    });
    await expect(
      sandbox.kubernetes.patchServiceAccountMetadata(
        s.cluster,
        s.namespace,
        s.serviceAccount,
        { labels: { 'irsa.dev/managed-by': 'backstage-irsa' } },
      ),
    ).rejects.toMatchObject({ kind: 'access-denied', code: '403' });
    await expect(
      sandbox.kubernetes.patchServiceAccountAnnotations(
        s.cluster,
        s.namespace,
        s.serviceAccount,
        { [EKS_ROLE_ARN_ANNOTATION]: null },
      ),
    ).rejects.toMatchObject({ kind: 'access-denied', code: '403' });
    await expect(
      sandbox.kubernetes.requestServiceAccountToken(
        s.cluster,
        s.namespace,
        s.serviceAccount,
        { expirationSeconds: 600 },
      ),
    ).rejects.toMatchObject({
      kind: 'access-denied',
      code: '403',
      message: `k8s:create serviceaccounts/token: serviceaccounts "${s.serviceAccount}" is forbidden: User "system:serviceaccount:backstage:backstage" cannot create resource "serviceaccounts/token" in API group "" in the namespace "${s.namespace}"`,
    });
    expect(
      await sandbox.kubernetes.getServiceAccount(
        s.cluster,
        s.namespace,
        s.serviceAccount,
      ),
    ).toEqual(before);
    expect(
      await sandbox.kubernetes.getServiceAccount(
        s.cluster,
        s.namespace,
        'new-sa',
      ),
    ).toBeUndefined();

    sandbox.controls.allowAccess(s.cluster, {
      verb: 'patch',
      resource: 'serviceaccounts',
      namespace: s.namespace,
    });
    await expect(
      sandbox.kubernetes.patchServiceAccountMetadata(
        s.cluster,
        s.namespace,
        s.serviceAccount,
        { labels: { 'irsa.dev/managed-by': 'backstage-irsa' } },
      ),
    ).resolves.toMatchObject({
      labels: {
        'app.kubernetes.io/name': s.serviceAccount,
        'irsa.dev/managed-by': 'backstage-irsa',
      },
    });
  });

  it('refuses reads too when get is denied', async () => {
    const s = scenario('healthy');
    sandbox.controls.denyAccess(s.cluster, {
      verb: 'get',
      resource: 'serviceaccounts',
    });
    await expect(
      sandbox.kubernetes.getServiceAccount(
        s.cluster,
        s.namespace,
        s.serviceAccount,
      ),
    ).rejects.toMatchObject({ kind: 'access-denied', code: '403' });
    // The patch reads first unless the caller already holds the version.
    await expect(
      sandbox.kubernetes.patchServiceAccountMetadata(
        s.cluster,
        s.namespace,
        s.serviceAccount,
        { annotations: { team: 'payments' } },
      ),
    ).rejects.toMatchObject({ kind: 'access-denied', code: '403' });
  });

  it('persists labels on create and merge-patches labels and annotations (null removes)', async () => {
    const created = await sandbox.kubernetes.createServiceAccount('sandbox', {
      namespace: 'payments',
      name: 'ledger',
      annotations: { [EKS_ROLE_ARN_ANNOTATION]: 'arn:aws:iam::1:role/r' },
      labels: { 'irsa.dev/managed-by': 'backstage-irsa', team: 'payments' },
    });
    expect(created.labels).toEqual({
      'irsa.dev/managed-by': 'backstage-irsa',
      team: 'payments',
    });
    const patched = await sandbox.kubernetes.patchServiceAccountMetadata(
      'sandbox',
      'payments',
      'ledger',
      {
        annotations: {
          'irsa.dev/entity-ref': 'component:default/ledger',
          'irsa.dev/owner': 'group:default/payments',
        },
        labels: { team: null },
      },
      { expectedResourceVersion: created.resourceVersion },
    );
    const stored = await sandbox.kubernetes.getServiceAccount(
      'sandbox',
      'payments',
      'ledger',
    );
    expect(stored).toEqual(patched);
    expect(stored).toMatchObject({
      resourceVersion: '2',
      annotations: {
        [EKS_ROLE_ARN_ANNOTATION]: 'arn:aws:iam::1:role/r',
        'irsa.dev/entity-ref': 'component:default/ledger',
        'irsa.dev/owner': 'group:default/payments',
      },
      labels: { 'irsa.dev/managed-by': 'backstage-irsa' },
    });
  });

  it('refuses a patch when the ServiceAccount changed since the expected version, and invalid labels', async () => {
    const s = scenario('healthy');
    const read = (await sandbox.kubernetes.getServiceAccount(
      s.cluster,
      s.namespace,
      s.serviceAccount,
    ))!;
    await sandbox.kubernetes.patchServiceAccountAnnotations(
      s.cluster,
      s.namespace,
      s.serviceAccount,
      { team: 'someone-else' },
    );
    await expect(
      sandbox.kubernetes.patchServiceAccountMetadata(
        s.cluster,
        s.namespace,
        s.serviceAccount,
        { annotations: { [EKS_ROLE_ARN_ANNOTATION]: 'arn:aws:iam::1:role/x' } },
        { expectedResourceVersion: read.resourceVersion },
      ),
    ).rejects.toMatchObject({
      kind: 'conflict',
      code: '409',
      message: `k8s:patch serviceaccounts: serviceaccounts "${s.serviceAccount}" in namespace ${s.namespace} changed since resourceVersion ${read.resourceVersion} was read`,
    });
    await expect(
      sandbox.kubernetes.patchServiceAccountMetadata(
        s.cluster,
        s.namespace,
        s.serviceAccount,
        { labels: { 'irsa.dev/entity-ref': 'component:default/cart' } },
      ),
    ).rejects.toMatchObject({ kind: 'invalid-input', code: '422' });
    await expect(
      sandbox.kubernetes.createServiceAccount(s.cluster, {
        namespace: s.namespace,
        name: 'bad-labels',
        annotations: {},
        labels: { 'not a key': 'x' },
      }),
    ).rejects.toMatchObject({ kind: 'invalid-input', code: '422' });
    await expect(
      sandbox.kubernetes.patchServiceAccountMetadata(
        s.cluster,
        s.namespace,
        s.serviceAccount,
        {},
      ),
    ).rejects.toMatchObject({ kind: 'invalid-input' });
    expect(
      (await sandbox.kubernetes.getServiceAccount(
        s.cluster,
        s.namespace,
        s.serviceAccount,
      ))!.annotations,
    ).toEqual({ ...read.annotations, team: 'someone-else' });
  });

  it('defaults the token audience to sts.amazonaws.com and honours an aborted signal', async () => {
    const s = scenario('healthy');
    const { token } = await sandbox.kubernetes.requestServiceAccountToken(
      s.cluster,
      s.namespace,
      s.serviceAccount,
      { expirationSeconds: 600 },
    );
    const claims = JSON.parse(
      Buffer.from(token.split('.')[1], 'base64url').toString(),
    );
    expect(claims.aud).toEqual(['sts.amazonaws.com']);
    await expect(
      sandbox.kubernetes.listPodsForServiceAccount(
        s.cluster,
        s.namespace,
        s.serviceAccount,
        { signal: AbortSignal.abort() },
      ),
    ).rejects.toMatchObject({ kind: 'unavailable', code: 'Aborted' });
  });
});
