import {
  buildPodIdentityTrustStatement,
  buildTrustPolicy,
  effectiveMechanism,
} from '@backstage-irsa/plugin-irsa-common';
import {
  createSandbox,
  SANDBOX_ACCOUNT_ID,
  SANDBOX_WIRING_SCENARIOS,
  type Sandbox,
  type SandboxWiringScenario,
} from '.';

const NOW = new Date('2026-11-27T10:00:00.000Z');
const scenario = (id: SandboxWiringScenario['id']) =>
  SANDBOX_WIRING_SCENARIOS.find(s => s.id === id)!;
const targetOf = (s: SandboxWiringScenario) => ({
  accountId: SANDBOX_ACCOUNT_ID,
  region: s.cluster === 'sandbox' ? 'us-east-1' : 'us-west-2',
});
const roleName = (s: SandboxWiringScenario) => s.roleArn.split('/').pop()!;

const ownership = (s: SandboxWiringScenario) => ({
  'cost-center': 'demo',
  'irsa.dev/managed-by': 'backstage-irsa',
  'irsa.dev/entity-ref': s.entityRef,
  'irsa.dev/owner': 'group:default/guests',
  'irsa.dev/cluster': s.cluster,
  'irsa.dev/service-account': `${s.namespace}/${s.serviceAccount}`,
});
const podIdentityStatement = (s: SandboxWiringScenario) =>
  buildPodIdentityTrustStatement({
    partition: 'aws',
    accountId: SANDBOX_ACCOUNT_ID,
    region: targetOf(s).region,
    clusterName: s.cluster,
    namespace: s.namespace,
    serviceAccount: s.serviceAccount,
  });
const webIdentityStatement = (s: SandboxWiringScenario) => {
  const issuer =
    'oidc.eks.us-east-1.amazonaws.com/id/5A4D1E0B8C0F4E2B9D7A6C3E1F0B2D4A';
  return buildTrustPolicy({
    oidcProviderArn: `arn:aws:iam::${SANDBOX_ACCOUNT_ID}:oidc-provider/${issuer}`,
    issuer,
    namespace: s.namespace,
    serviceAccount: s.serviceAccount,
  }).document.Statement[0];
};

describe('sandbox wiring scenarios', () => {
  let sandbox: Sandbox;
  beforeAll(async () => {
    sandbox = await createSandbox({ now: () => NOW });
  });

  const read = async (s: SandboxWiringScenario) => {
    const target = targetOf(s);
    const associations = await sandbox.eks.listPodIdentityAssociations(
      target,
      s.cluster,
      { namespace: s.namespace, serviceAccount: s.serviceAccount },
    );
    return {
      role: await sandbox.iam.getRole(target, roleName(s)),
      attached: await sandbox.iam.listAttachedRolePolicies(target, roleName(s)),
      associations: await Promise.all(
        associations.map(a =>
          sandbox.eks.describePodIdentityAssociation(
            target,
            s.cluster,
            a.associationId,
          ),
        ),
      ),
      account: (await sandbox.kubernetes.getServiceAccount(
        s.cluster,
        s.namespace,
        s.serviceAccount,
      ))!,
      pods: await sandbox.kubernetes.listPodsForServiceAccount(
        s.cluster,
        s.namespace,
        s.serviceAccount,
      ),
    };
  };

  it('names four workloads, each on its own namespace and default role name', () => {
    expect(
      SANDBOX_WIRING_SCENARIOS.map(s => [
        s.id,
        s.entityRef,
        `${s.cluster}/${s.namespace}/${s.serviceAccount}`,
        s.roleArn,
        s.mechanism,
      ]),
    ).toEqual([
      [
        'pod-identity-healthy',
        'component:default/ledger-api',
        'sandbox/ledger/ledger-api',
        'arn:aws:iam::111122223333:role/irsa-sandbox-ledger-ledger-api',
        'pod-identity',
      ],
      [
        'pod-identity-agent-missing',
        'component:default/archive-exporter',
        'sandbox-legacy/archive/archive-exporter',
        'arn:aws:iam::111122223333:role/irsa-sandbox-legacy-archive-archive-exporter',
        'pod-identity',
      ],
      [
        'migrating-to-pod-identity',
        'component:default/catalog-api',
        'sandbox/catalog/catalog-api',
        'arn:aws:iam::111122223333:role/irsa-sandbox-catalog-catalog-api',
        'pod-identity',
      ],
      [
        'static-keys-shadow',
        'component:default/notifications-sender',
        'sandbox/notifications/notifications-sender',
        'arn:aws:iam::111122223333:role/irsa-sandbox-notifications-notifications-sender',
        'irsa',
      ],
    ]);
  });

  it.each(['pod-identity-healthy', 'pod-identity-agent-missing'] as const)(
    '%s: Pod Identity trust, tagged association, unannotated ServiceAccount, injected pods',
    async id => {
      const s = scenario(id);
      const { role, attached, associations, account, pods } = await read(s);
      expect(role.trustPolicy).toEqual({
        Version: '2012-10-17',
        Statement: [podIdentityStatement(s)],
      });
      expect(role.tags).toEqual(ownership(s));
      expect(attached.map(p => p.name)).toEqual([
        roleName(s),
        `${roleName(s)}-allowlist`,
      ]);
      expect(associations).toEqual([
        expect.objectContaining({
          roleArn: s.roleArn,
          disableSessionTags: false,
          tags: ownership(s),
        }),
      ]);
      expect(account.annotations).toEqual({
        'irsa.dev/entity-ref': s.entityRef,
        'irsa.dev/owner': 'group:default/guests',
      });
      expect(account.labels).toEqual({
        'app.kubernetes.io/name': s.serviceAccount,
        'irsa.dev/managed-by': 'backstage-irsa',
      });
      expect(pods).toHaveLength(2);
      for (const pod of pods) {
        expect(pod.containers[0].env).toMatchObject({
          AWS_CONTAINER_CREDENTIALS_FULL_URI:
            'http://169.254.170.23/v1/credentials',
        });
        expect(pod.containers[0].env.AWS_ROLE_ARN).toBeUndefined();
        expect(pod.projectedTokens.map(t => t.audience)).toEqual([
          'pods.eks.amazonaws.com',
        ]);
      }
    },
  );

  it('pod-identity-agent-missing runs where the agent add-on is not installed', async () => {
    const s = scenario('pod-identity-agent-missing');
    await expect(
      sandbox.eks.describeAddon(
        targetOf(s),
        s.cluster,
        'eks-pod-identity-agent',
      ),
    ).rejects.toMatchObject({ kind: 'not-found' });
    await expect(
      sandbox.eks.describeAddon(
        targetOf(scenario('pod-identity-healthy')),
        'sandbox',
        'eks-pod-identity-agent',
      ),
    ).resolves.toMatchObject({ status: 'ACTIVE' });
  });

  it('migrating-to-pod-identity: both trust statements, the association, the migration annotation, 2 IRSA pods and 1 Pod Identity pod', async () => {
    const s = scenario('migrating-to-pod-identity');
    const { role, associations, account, pods } = await read(s);
    expect(role.trustPolicy.Statement).toEqual([
      webIdentityStatement(s),
      podIdentityStatement(s),
    ]);
    expect(associations).toHaveLength(1);
    // The role annotation stays until the last step: the association
    // already takes precedence for new pods.
    expect(account.annotations).toEqual({
      'eks.amazonaws.com/role-arn': s.roleArn,
      'irsa.dev/entity-ref': s.entityRef,
      'irsa.dev/owner': 'group:default/guests',
      'irsa.dev/migrating-to': 'pod-identity',
    });
    expect(
      effectiveMechanism({
        declared: s.mechanism,
        serviceAccountAnnotations: account.annotations,
        hasAssociation: true,
      }),
    ).toEqual({ mechanism: 'pod-identity', migratingFrom: 'irsa' });
    expect(
      pods.map(p => [
        p.name,
        p.creationTimestamp,
        p.containers[0].env.AWS_ROLE_ARN ?? null,
        p.containers[0].env.AWS_CONTAINER_CREDENTIALS_FULL_URI ?? null,
      ]),
    ).toEqual([
      ['catalog-api-6c4b9-7d9f8', '2026-11-25T10:00:00.000Z', s.roleArn, null],
      ['catalog-api-6c4b9-k2x4q', '2026-11-25T10:00:00.000Z', s.roleArn, null],
      [
        'catalog-api-6c4b9-p3m8z',
        '2026-11-27T10:00:00.000Z',
        null,
        'http://169.254.170.23/v1/credentials',
      ],
    ]);
    // The workload was deployed before the migration began.
    expect(role.createDate).toBe('2026-11-25T10:00:00.000Z');
    expect(account.creationTimestamp).toBe('2026-11-25T10:00:00.000Z');
    expect(associations[0].createdAt).toBe('2026-11-27T10:00:00.000Z');
  });

  it('migrating-to-pod-identity: both mechanisms still exchange', async () => {
    const s = scenario('migrating-to-pod-identity');
    const pods = await sandbox.kubernetes.listPodsForServiceAccount(
      s.cluster,
      s.namespace,
      s.serviceAccount,
    );
    const token = async (audience: string) =>
      (
        await sandbox.kubernetes.requestServiceAccountToken(
          s.cluster,
          s.namespace,
          s.serviceAccount,
          {
            audience,
            expirationSeconds: 600,
            boundPod: { name: pods[2].name, uid: pods[2].uid },
          },
        )
      ).token;
    await expect(
      sandbox.sts.assumeRoleWithWebIdentity(targetOf(s), {
        roleArn: s.roleArn,
        webIdentityToken: await token('sts.amazonaws.com'),
        sessionName: 'test',
      }),
    ).resolves.toMatchObject({
      assumedRoleArn: `arn:aws:sts::111122223333:assumed-role/${roleName(s)}/test`,
    });
    await expect(
      sandbox.eksAuth.assumeRoleForPodIdentity(
        targetOf(s),
        s.cluster,
        await token('pods.eks.amazonaws.com'),
      ),
    ).resolves.toMatchObject({
      subject: { namespace: 'catalog', serviceAccount: 'catalog-api' },
    });
  });

  it('static-keys-shadow: healthy IRSA wiring, and static keys in the container env', async () => {
    const s = scenario('static-keys-shadow');
    const { role, associations, account, pods } = await read(s);
    expect(role.trustPolicy).toEqual({
      Version: '2012-10-17',
      Statement: [webIdentityStatement(s)],
    });
    expect(associations).toEqual([]);
    expect(account.annotations['eks.amazonaws.com/role-arn']).toBe(s.roleArn);
    expect(pods).toHaveLength(2);
    for (const pod of pods) {
      expect(pod.containers[0]).toMatchObject({
        env: {
          AWS_ROLE_ARN: s.roleArn,
          AWS_ACCESS_KEY_ID: 'AKIAIOSFODNN7EXAMPLE',
          AWS_SECRET_ACCESS_KEY: undefined,
        },
        secretEnv: ['AWS_SECRET_ACCESS_KEY'],
      });
      expect('AWS_SECRET_ACCESS_KEY' in pod.containers[0].env).toBe(true);
    }
  });
});
