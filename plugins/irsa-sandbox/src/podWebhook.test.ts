import {
  createSandbox,
  FARGATE_PROFILE_LABEL,
  SANDBOX_ACCOUNT_ID,
  type Sandbox,
  type SandboxPodSpec,
} from '.';

const target = { accountId: SANDBOX_ACCOUNT_ID, region: 'us-east-1' };
const ledgerRoleArn =
  'arn:aws:iam::111122223333:role/irsa-sandbox-ledger-ledger-api';

const IRSA_ENV = {
  AWS_ROLE_ARN: ledgerRoleArn,
  AWS_WEB_IDENTITY_TOKEN_FILE:
    '/var/run/secrets/eks.amazonaws.com/serviceaccount/token',
  AWS_STS_REGIONAL_ENDPOINTS: 'regional',
  AWS_REGION: 'us-east-1',
  AWS_DEFAULT_REGION: 'us-east-1',
};
const POD_IDENTITY_ENV = {
  AWS_STS_REGIONAL_ENDPOINTS: 'regional',
  AWS_REGION: 'us-east-1',
  AWS_DEFAULT_REGION: 'us-east-1',
  AWS_CONTAINER_CREDENTIALS_FULL_URI: 'http://169.254.170.23/v1/credentials',
  AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE:
    '/var/run/secrets/pods.eks.amazonaws.com/serviceaccount/eks-pod-identity-token',
};
const IRSA_TOKEN = {
  volumeName: 'aws-iam-token',
  audience: 'sts.amazonaws.com',
  path: 'token',
};
const POD_IDENTITY_TOKEN = {
  volumeName: 'eks-pod-identity-token',
  audience: 'pods.eks.amazonaws.com',
  path: 'eks-pod-identity-token',
};

describe('sandbox pod identity webhook: IRSA and Pod Identity at pod creation', () => {
  let sandbox: Sandbox;
  beforeEach(async () => {
    sandbox = await createSandbox();
  });

  const associate = () =>
    sandbox.eks.createPodIdentityAssociation(target, {
      clusterName: 'sandbox',
      namespace: 'shop',
      serviceAccount: 'cart',
      roleArn: ledgerRoleArn,
      tags: {},
    });
  /** A ServiceAccount `shop/cart`, annotated with the role and/or associated. */
  async function serviceAccount(wiring: {
    annotated?: boolean;
    associated?: boolean;
  }) {
    await sandbox.kubernetes.createServiceAccount('sandbox', {
      namespace: 'shop',
      name: 'cart',
      annotations: wiring.annotated
        ? { 'eks.amazonaws.com/role-arn': ledgerRoleArn }
        : {},
    });
    if (wiring.associated) await associate();
  }
  const start = (spec: Partial<SandboxPodSpec> = {}) =>
    sandbox.controls.createPod('sandbox', 'shop', {
      name: 'cart-6c4b9-aaaaa',
      serviceAccountName: 'cart',
      ...spec,
    });

  it('wires Pod Identity for an associated ServiceAccount: env, token volume, mount', async () => {
    await serviceAccount({ associated: true });
    const pod = start();
    expect(pod.containers).toEqual([
      {
        name: 'app',
        env: POD_IDENTITY_ENV,
        secretEnv: [],
        envFromSecrets: [],
        volumeMountPaths: [
          '/var/run/secrets/pods.eks.amazonaws.com/serviceaccount',
        ],
        secretMounts: [],
      },
    ]);
    expect(pod.projectedTokens).toEqual([POD_IDENTITY_TOKEN]);
    expect(pod.projectedToken).toBeUndefined();
    expect(pod.fargate).toBe(false);
  });

  it('wires IRSA for an annotated ServiceAccount', async () => {
    await serviceAccount({ annotated: true });
    const pod = start();
    expect(pod.containers[0].env).toEqual(IRSA_ENV);
    expect(pod.containers[0].volumeMountPaths).toEqual([
      '/var/run/secrets/eks.amazonaws.com/serviceaccount',
    ]);
    expect(pod.projectedToken).toEqual(IRSA_TOKEN);
    expect(pod.projectedTokens).toEqual([IRSA_TOKEN]);
  });

  it('gives an association precedence over the role annotation, like the EKS webhook (the conflict)', async () => {
    await serviceAccount({ annotated: true, associated: true });
    const pod = start();
    expect(pod.containers[0].env).toEqual(POD_IDENTITY_ENV);
    expect(pod.projectedToken).toBeUndefined();
    expect(pod.projectedTokens).toEqual([POD_IDENTITY_TOKEN]);
  });

  it('leaves Pod Identity out on Fargate and on Windows, where it does not run; IRSA stays', async () => {
    await serviceAccount({ annotated: true, associated: true });
    const fargate = start({
      labels: { [FARGATE_PROFILE_LABEL]: 'default', app: 'cart' },
    });
    expect(fargate).toMatchObject({
      fargate: true,
      labels: { [FARGATE_PROFILE_LABEL]: 'default', app: 'cart' },
      projectedTokens: [IRSA_TOKEN],
    });
    expect(fargate.containers[0].env).toEqual(IRSA_ENV);
    const windows = start({ name: 'cart-6c4b9-bbbbb', os: 'windows' });
    expect(windows).toMatchObject({
      fargate: false,
      os: 'windows',
      projectedTokens: [IRSA_TOKEN],
    });
    expect(windows.containers[0].env).toEqual(IRSA_ENV);
  });

  it('injects nothing on Fargate when the ServiceAccount only has an association', async () => {
    await serviceAccount({ associated: true });
    const fargate = start({ labels: { [FARGATE_PROFILE_LABEL]: 'default' } });
    expect(fargate.containers[0].env).toEqual({});
    expect(fargate.projectedTokens).toEqual([]);
  });

  it('wires a pod only at creation: an association made later needs a restart, which keeps the manifest', async () => {
    await serviceAccount({});
    start({
      env: {
        AWS_ACCESS_KEY_ID: 'AKIAIOSFODNN7EXAMPLE',
        AWS_SECRET_ACCESS_KEY: { secretName: 'keys', key: 'secret' },
      },
      envFromSecrets: ['more-keys'],
      secretMounts: [{ path: '/root/.aws', secretName: 'aws-profile' }],
    });
    await associate();
    const [before] = await sandbox.kubernetes.listPodsForServiceAccount(
      'sandbox',
      'shop',
      'cart',
    );
    expect(before.projectedTokens).toEqual([]);
    const [after] = sandbox.controls.restartPods('sandbox', 'shop', 'cart');
    expect(after.name).not.toBe(before.name);
    expect(after.projectedTokens).toEqual([POD_IDENTITY_TOKEN]);
    expect(after.containers[0]).toEqual({
      name: 'app',
      env: {
        ...POD_IDENTITY_ENV,
        AWS_ACCESS_KEY_ID: 'AKIAIOSFODNN7EXAMPLE',
        AWS_SECRET_ACCESS_KEY: undefined,
      },
      secretEnv: ['AWS_SECRET_ACCESS_KEY'],
      envFromSecrets: ['more-keys'],
      volumeMountPaths: [
        '/root/.aws',
        '/var/run/secrets/pods.eks.amazonaws.com/serviceaccount',
      ],
      secretMounts: [{ path: '/root/.aws', secretName: 'aws-profile' }],
    });
  });

  it('never overrides a variable the manifest sets itself', async () => {
    await serviceAccount({ annotated: true });
    const pod = start({ env: { AWS_REGION: 'eu-west-1' } });
    expect(pod.containers[0].env).toEqual({
      ...IRSA_ENV,
      AWS_REGION: 'eu-west-1',
    });
  });
});

describe('sandbox Kubernetes: namespace-wide reads and pod-bound tokens', () => {
  let sandbox: Sandbox;
  beforeEach(async () => {
    sandbox = await createSandbox();
  });

  it('lists every ServiceAccount and pod of a namespace, and only that namespace', async () => {
    sandbox.controls.createPod('sandbox', 'catalog', {
      name: 'catalog-cron-29000000-x1y2z',
      serviceAccountName: 'default',
      owner: { kind: 'Job', name: 'catalog-cron-29000000' },
    });
    const accounts = await sandbox.kubernetes.listServiceAccounts(
      'sandbox',
      'catalog',
    );
    expect(accounts.map(a => a.name)).toEqual(['catalog-api']);
    const pods = await sandbox.kubernetes.listPods('sandbox', 'catalog');
    expect(pods.map(p => `${p.serviceAccountName}/${p.name}`)).toEqual([
      'catalog-api/catalog-api-6c4b9-7d9f8',
      'catalog-api/catalog-api-6c4b9-k2x4q',
      'catalog-api/catalog-api-6c4b9-p3m8z',
      'default/catalog-cron-29000000-x1y2z',
    ]);
    expect(await sandbox.kubernetes.listPods('sandbox', 'nobody')).toEqual([]);
  });

  it('refuses the lists when RBAC does, and when the caller gave up', async () => {
    sandbox.controls.denyAccess('sandbox', {
      verb: 'list',
      resource: 'serviceaccounts',
    });
    await expect(
      sandbox.kubernetes.listServiceAccounts('sandbox', 'catalog'),
    ).rejects.toMatchObject({ kind: 'access-denied', code: '403' });
    const controller = new AbortController();
    controller.abort();
    await expect(
      sandbox.kubernetes.listPods('sandbox', 'catalog', {
        signal: controller.signal,
      }),
    ).rejects.toMatchObject({ kind: 'unavailable', code: 'Aborted' });
  });

  it('binds a token to a pod as the API server does: the claims name the pod', async () => {
    const [pod] = await sandbox.kubernetes.listPods('sandbox', 'ledger');
    const request = (boundPod: { name: string; uid: string }) =>
      sandbox.kubernetes.requestServiceAccountToken(
        'sandbox',
        'ledger',
        'ledger-api',
        {
          audience: 'pods.eks.amazonaws.com',
          expirationSeconds: 600,
          boundPod,
        },
      );
    const { token } = await request({ name: pod.name, uid: pod.uid });
    const claims = JSON.parse(
      Buffer.from(token.split('.')[1], 'base64url').toString(),
    );
    const account = await sandbox.kubernetes.getServiceAccount(
      'sandbox',
      'ledger',
      'ledger-api',
    );
    expect(claims).toMatchObject({
      sub: 'system:serviceaccount:ledger:ledger-api',
      aud: ['pods.eks.amazonaws.com'],
      'kubernetes.io': {
        namespace: 'ledger',
        serviceaccount: { name: 'ledger-api', uid: account!.uid },
        pod: { name: pod.name, uid: pod.uid },
      },
    });
    await expect(request({ name: 'gone', uid: pod.uid })).rejects.toMatchObject(
      {
        kind: 'not-found',
        code: '404',
        message: 'k8s:create serviceaccounts/token: pods "gone" not found',
      },
    );
    await expect(
      request({ name: pod.name, uid: 'recreated' }),
    ).rejects.toMatchObject({ kind: 'conflict', code: '409' });
    const other = sandbox.controls.createPod('sandbox', 'ledger', {
      name: 'other-0',
      serviceAccountName: 'default',
      owner: null,
    });
    await expect(
      request({ name: other.name, uid: other.uid }),
    ).rejects.toMatchObject({
      kind: 'invalid-input',
      code: '400',
      message:
        'k8s:create serviceaccounts/token: cannot bind token for serviceaccount "ledger-api" to pod running with different serviceaccount name.',
    });
  });
});
