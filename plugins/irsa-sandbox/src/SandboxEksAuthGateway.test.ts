import {
  buildPodIdentityTrustPolicy,
  type PolicyDocument,
} from '@backstage-irsa/plugin-irsa-common';
import {
  createSandbox,
  SANDBOX_ACCOUNT_ID,
  SANDBOX_SCENARIOS,
  SANDBOX_WIRING_SCENARIOS,
  type Sandbox,
} from '.';

const target = { accountId: SANDBOX_ACCOUNT_ID, region: 'us-east-1' };
const legacy = { accountId: SANDBOX_ACCOUNT_ID, region: 'us-west-2' };
const wiring = (id: string) => SANDBOX_WIRING_SCENARIOS.find(s => s.id === id)!;
const ledger = wiring('pod-identity-healthy');
const ledgerRole = 'irsa-sandbox-ledger-ledger-api';
const NOW = '2026-11-27T10:00:00.000Z';

describe('sandbox EKS Auth: AssumeRoleForPodIdentity', () => {
  let sandbox: Sandbox;
  beforeEach(async () => {
    sandbox = await createSandbox({ now: () => new Date(NOW) });
  });

  /** A token for the ServiceAccount's first pod, bound to it unless told otherwise. */
  async function podToken(
    w: { cluster: string; namespace: string; serviceAccount: string },
    options: { audience?: string; bound?: boolean } = {},
  ) {
    const [pod] = await sandbox.kubernetes.listPodsForServiceAccount(
      w.cluster,
      w.namespace,
      w.serviceAccount,
    );
    const { token } = await sandbox.kubernetes.requestServiceAccountToken(
      w.cluster,
      w.namespace,
      w.serviceAccount,
      {
        audience: options.audience ?? 'pods.eks.amazonaws.com',
        expirationSeconds: 600,
        ...(options.bound === false
          ? {}
          : { boundPod: { name: pod.name, uid: pod.uid } }),
      },
    );
    return { token, pod };
  }

  const setTrust = (document: PolicyDocument) =>
    sandbox.iam.updateTrustPolicy(target, ledgerRole, document);

  it('exchanges a pod-bound token for the association role, with an eks- session', async () => {
    const { token } = await podToken(ledger);
    const [association] = await sandbox.eks.listPodIdentityAssociations(
      target,
      'sandbox',
      { namespace: 'ledger', serviceAccount: 'ledger-api' },
    );
    const result = await sandbox.eksAuth.assumeRoleForPodIdentity(
      target,
      'sandbox',
      token,
    );
    expect(result).toEqual({
      assumedRoleArn: expect.stringMatching(
        /^arn:aws:sts::111122223333:assumed-role\/irsa-sandbox-ledger-ledger-api\/eks-sandbox-ledger-api-6c4b9-7d9f8-[0-9a-f-]{1,29}$/,
      ),
      associationId: association.associationId,
      subject: { namespace: 'ledger', serviceAccount: 'ledger-api' },
      audience: 'pods.eks.amazonaws.com',
      expiration: '2026-11-27T11:00:00.000Z',
    });
    expect(result.assumedRoleArn.split('/').pop()).toHaveLength(64);
    expect(
      (await sandbox.iam.getRole(target, ledgerRole)).roleLastUsed,
    ).toEqual({ lastUsedDate: NOW, region: 'us-east-1' });
  });

  it('rejects a token for another audience, an unbound one, a forged one and one of another cluster', async () => {
    const wrongAudience = await podToken(ledger, {
      audience: 'sts.amazonaws.com',
    });
    await expect(
      sandbox.eksAuth.assumeRoleForPodIdentity(
        target,
        'sandbox',
        wrongAudience.token,
      ),
    ).rejects.toMatchObject({
      kind: 'invalid-token',
      code: 'InvalidTokenException',
      message:
        'eks-auth:AssumeRoleForPodIdentity: the token audience is not pods.eks.amazonaws.com',
    });
    const unbound = await podToken(ledger, { bound: false });
    await expect(
      sandbox.eksAuth.assumeRoleForPodIdentity(
        target,
        'sandbox',
        unbound.token,
      ),
    ).rejects.toMatchObject({
      kind: 'invalid-token',
      message:
        'eks-auth:AssumeRoleForPodIdentity: the token is not bound to a pod',
    });
    const { token } = await podToken(ledger);
    const [header, , signature] = token.split('.');
    const forged = `${header}.${Buffer.from('{"aud":["pods.eks.amazonaws.com"]}').toString('base64url')}.${signature}`;
    await expect(
      sandbox.eksAuth.assumeRoleForPodIdentity(target, 'sandbox', forged),
    ).rejects.toMatchObject({
      kind: 'invalid-token',
      code: 'InvalidTokenException',
    });
    const archive = await podToken(wiring('pod-identity-agent-missing'));
    await expect(
      sandbox.eksAuth.assumeRoleForPodIdentity(
        target,
        'sandbox',
        archive.token,
      ),
    ).rejects.toMatchObject({
      kind: 'invalid-token',
      message:
        'eks-auth:AssumeRoleForPodIdentity: the token was not issued by cluster sandbox',
    });
  });

  it('is not-found for a ServiceAccount without an association, and for an unknown cluster', async () => {
    const payments = SANDBOX_SCENARIOS.find(s => s.id === 'healthy')!;
    const { token } = await podToken(payments);
    await expect(
      sandbox.eksAuth.assumeRoleForPodIdentity(target, 'sandbox', token),
    ).rejects.toMatchObject({
      kind: 'not-found',
      code: 'ResourceNotFoundException',
      message:
        'eks-auth:AssumeRoleForPodIdentity: No Pod Identity Association found for service account payments/payments-api in cluster sandbox',
    });
    await expect(
      sandbox.eksAuth.assumeRoleForPodIdentity(target, 'elsewhere', token),
    ).rejects.toMatchObject({
      kind: 'not-found',
      message:
        'eks-auth:AssumeRoleForPodIdentity: No cluster found for name: elsewhere.',
    });
  });

  it('denies when the trust allows sts:AssumeRole but not sts:TagSession', async () => {
    const trust = (await sandbox.iam.getRole(target, ledgerRole)).trustPolicy;
    await setTrust({
      ...trust,
      Statement: trust.Statement.map(s => ({ ...s, Action: 'sts:AssumeRole' })),
    });
    const { token } = await podToken(ledger);
    await expect(
      sandbox.eksAuth.assumeRoleForPodIdentity(target, 'sandbox', token),
    ).rejects.toMatchObject({
      kind: 'access-denied',
      code: 'AccessDeniedException',
      message:
        'eks-auth:AssumeRoleForPodIdentity: Unauthorized Exception! EKS does not have permissions to assume the associated role.',
    });
  });

  it('denies when the trust pins another namespace, another cluster ARN or another account', async () => {
    const pinned = {
      partition: 'aws',
      accountId: SANDBOX_ACCOUNT_ID,
      region: 'us-east-1',
      clusterName: 'sandbox',
      namespace: 'ledger',
      serviceAccount: 'ledger-api',
    };
    const { token } = await podToken(ledger);
    const attempt = () =>
      sandbox.eksAuth.assumeRoleForPodIdentity(target, 'sandbox', token);
    for (const wrong of [
      { namespace: 'payments' },
      { serviceAccount: 'other' },
      { clusterName: 'sandbox-legacy' },
      { accountId: '444455556666' },
    ]) {
      await setTrust(buildPodIdentityTrustPolicy({ ...pinned, ...wrong }));
      await expect(attempt()).rejects.toMatchObject({ kind: 'access-denied' });
    }
    await setTrust(buildPodIdentityTrustPolicy(pinned));
    await expect(attempt()).resolves.toMatchObject({
      subject: { namespace: 'ledger', serviceAccount: 'ledger-api' },
    });
  });

  it('evaluates StringLike and ArnLike on the session tags, and a Deny on the pod uid', async () => {
    const allow = {
      Effect: 'Allow' as const,
      Principal: { Service: 'pods.eks.amazonaws.com' },
      Action: ['sts:AssumeRole', 'sts:TagSession'],
      Condition: {
        StringLike: { 'aws:RequestTag/kubernetes-namespace': 'led*' },
        ArnLike: { 'aws:SourceArn': 'arn:aws:eks:*:111122223333:cluster/*' },
      },
    };
    await setTrust({ Version: '2012-10-17', Statement: [allow] });
    const { token, pod } = await podToken(ledger);
    await expect(
      sandbox.eksAuth.assumeRoleForPodIdentity(target, 'sandbox', token),
    ).resolves.toMatchObject({ audience: 'pods.eks.amazonaws.com' });
    await setTrust({
      Version: '2012-10-17',
      Statement: [
        allow,
        {
          Effect: 'Deny',
          Principal: { Service: 'pods.eks.amazonaws.com' },
          Action: 'sts:*',
          Condition: {
            StringEquals: { 'aws:RequestTag/kubernetes-pod-uid': pod.uid },
          },
        },
      ],
    });
    await expect(
      sandbox.eksAuth.assumeRoleForPodIdentity(target, 'sandbox', token),
    ).rejects.toMatchObject({ kind: 'access-denied' });
  });

  it('without session tags needs no sts:TagSession, and conditions on the tags no longer hold', async () => {
    const [association] = await sandbox.eks.listPodIdentityAssociations(
      target,
      'sandbox',
      { namespace: 'ledger' },
    );
    await sandbox.eks.updatePodIdentityAssociation(
      target,
      'sandbox',
      association.associationId,
      { disableSessionTags: true },
    );
    const { token } = await podToken(ledger);
    // The seeded trust pins the session tags: nothing to pin any more.
    await expect(
      sandbox.eksAuth.assumeRoleForPodIdentity(target, 'sandbox', token),
    ).rejects.toMatchObject({ kind: 'access-denied' });
    await setTrust({
      Version: '2012-10-17',
      Statement: [
        {
          Effect: 'Allow',
          Principal: { Service: 'pods.eks.amazonaws.com' },
          Action: 'sts:AssumeRole',
          Condition: {
            StringEquals: { 'aws:SourceAccount': SANDBOX_ACCOUNT_ID },
          },
        },
      ],
    });
    await expect(
      sandbox.eksAuth.assumeRoleForPodIdentity(target, 'sandbox', token),
    ).resolves.toMatchObject({ associationId: association.associationId });
  });

  it('chains into a target role whose trust requires the external id', async () => {
    const other = { accountId: '444455556666', region: 'us-east-1' };
    const [association] = await sandbox.eks.listPodIdentityAssociations(
      target,
      'sandbox',
      { namespace: 'ledger' },
    );
    const chained = await sandbox.eks.updatePodIdentityAssociation(
      target,
      'sandbox',
      association.associationId,
      { targetRoleArn: 'arn:aws:iam::444455556666:role/ledger-reader' },
    );
    const trustFor = (externalId: string): PolicyDocument => ({
      Version: '2012-10-17',
      Statement: [
        {
          Effect: 'Allow',
          Principal: {
            AWS: `arn:aws:iam::${SANDBOX_ACCOUNT_ID}:role/${ledgerRole}`,
          },
          Action: ['sts:AssumeRole', 'sts:TagSession'],
          Condition: { StringEquals: { 'sts:ExternalId': externalId } },
        },
      ],
    });
    await sandbox.iam.createRole(other, {
      name: 'ledger-reader',
      path: '/',
      trustPolicy: trustFor('not-the-one'),
      tags: {},
    });
    const { token } = await podToken(ledger);
    const attempt = () =>
      sandbox.eksAuth.assumeRoleForPodIdentity(target, 'sandbox', token);
    await expect(attempt()).rejects.toMatchObject({ kind: 'access-denied' });
    await sandbox.iam.updateTrustPolicy(
      other,
      'ledger-reader',
      trustFor(chained.externalId!),
    );
    await expect(attempt()).resolves.toMatchObject({
      assumedRoleArn: expect.stringMatching(
        /^arn:aws:sts::444455556666:assumed-role\/ledger-reader\/eks-sandbox-/,
      ),
    });
  });

  it('answers on a cluster without the agent, like the AWS API (the agent is what is missing there)', async () => {
    const archive = wiring('pod-identity-agent-missing');
    const { token } = await podToken(archive);
    await expect(
      sandbox.eksAuth.assumeRoleForPodIdentity(legacy, 'sandbox-legacy', token),
    ).resolves.toMatchObject({
      assumedRoleArn: expect.stringMatching(
        /^arn:aws:sts::111122223333:assumed-role\/irsa-sandbox-legacy-archive-archive-exporter\/eks-sandbox-legacy-archive-/,
      ),
    });
  });
});

describe('sandbox Pod Identity agent endpoint (what the pod SDK gets)', () => {
  let sandbox: Sandbox;
  beforeEach(async () => {
    sandbox = await createSandbox();
  });
  const firstPod = async (w: {
    cluster: string;
    namespace: string;
    serviceAccount: string;
  }) =>
    (
      await sandbox.kubernetes.listPodsForServiceAccount(
        w.cluster,
        w.namespace,
        w.serviceAccount,
      )
    )[0].name;

  it('exchanges through the agent where it runs, without a gateway call of Backstage', async () => {
    sandbox.controls.resetCalls();
    await expect(
      sandbox.controls.fetchPodIdentityCredentials(
        'sandbox',
        'ledger',
        await firstPod(ledger),
      ),
    ).resolves.toMatchObject({
      assumedRoleArn: expect.stringMatching(
        /^arn:aws:sts::111122223333:assumed-role\/irsa-sandbox-ledger-ledger-api\/eks-sandbox-ledger-api-/,
      ),
    });
    expect(sandbox.controls.calls.filter(c => c.service === 'eksAuth')).toEqual(
      [],
    );
  });

  it('is refused where the agent is missing or not ready, though the pods are wired', async () => {
    const archive = wiring('pod-identity-agent-missing');
    await expect(
      sandbox.controls.fetchPodIdentityCredentials(
        archive.cluster,
        archive.namespace,
        await firstPod(archive),
      ),
    ).rejects.toMatchObject({
      kind: 'unavailable',
      code: 'ECONNREFUSED',
      message:
        'agent:GET http://169.254.170.23/v1/credentials: connect ECONNREFUSED 169.254.170.23:80 (no eks-pod-identity-agent is ready on sandbox-legacy)',
    });
    sandbox.controls.setPodIdentityAgent('sandbox', { ready: 0 });
    await expect(
      sandbox.controls.fetchPodIdentityCredentials(
        'sandbox',
        'ledger',
        await firstPod(ledger),
      ),
    ).rejects.toMatchObject({ kind: 'unavailable', code: 'ECONNREFUSED' });
  });

  it('has nothing to fetch for a pod created without Pod Identity', async () => {
    const payments = SANDBOX_SCENARIOS.find(s => s.id === 'healthy')!;
    await expect(
      sandbox.controls.fetchPodIdentityCredentials(
        'sandbox',
        'payments',
        await firstPod(payments),
      ),
    ).rejects.toMatchObject({
      kind: 'invalid-input',
      code: 'NotWired',
      message: expect.stringContaining(
        'has no AWS_CONTAINER_CREDENTIALS_FULL_URI',
      ),
    });
  });
});
