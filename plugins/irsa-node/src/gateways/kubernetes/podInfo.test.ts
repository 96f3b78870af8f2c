import { apiServer, gatewayFor } from './__testUtils__/kubernetesApiServer';

/*
 * Pods as the API server returns them after the EKS webhooks mutated them,
 * listed through the real gateway, mapped to PodInfo.
 */

const IRSA_MOUNT = '/var/run/secrets/eks.amazonaws.com/serviceaccount';
const POD_IDENTITY_MOUNT =
  '/var/run/secrets/pods.eks.amazonaws.com/serviceaccount';
const KUBE_API_MOUNT = '/var/run/secrets/kubernetes.io/serviceaccount';

const kubeApiAccess = {
  volume: {
    name: 'kube-api-access-7xk2p',
    projected: {
      defaultMode: 420,
      sources: [
        { serviceAccountToken: { expirationSeconds: 3607, path: 'token' } },
        {
          configMap: {
            name: 'kube-root-ca.crt',
            items: [{ key: 'ca.crt', path: 'ca.crt' }],
          },
        },
        {
          downwardAPI: {
            items: [
              {
                path: 'namespace',
                fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.namespace' },
              },
            ],
          },
        },
      ],
    },
  },
  mount: {
    name: 'kube-api-access-7xk2p',
    mountPath: KUBE_API_MOUNT,
    readOnly: true,
  },
};

const tokenVolume = (name: string, audience: string, path: string) => ({
  name,
  projected: {
    defaultMode: 420,
    sources: [
      { serviceAccountToken: { audience, expirationSeconds: 86400, path } },
    ],
  },
});

function pod(
  name: string,
  spec: Record<string, unknown>,
  labels: Record<string, string> = { app: 'cart' },
) {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name,
      namespace: 'shop',
      uid: `uid-${name}`,
      creationTimestamp: '2026-11-24T00:00:00Z',
      labels,
    },
    spec: { serviceAccountName: 'cart', ...spec },
    status: { phase: 'Running' },
  };
}

async function mapped(...items: unknown[]) {
  const server = await apiServer([
    () => ({
      status: 200,
      body: { kind: 'PodList', apiVersion: 'v1', metadata: {}, items },
    }),
  ]);
  try {
    return await gatewayFor(server.url).listPods('prod', 'shop');
  } finally {
    await server.close();
  }
}

describe('PodInfo from the API server (real client, HTTP double)', () => {
  it('tells the IRSA token from the Pod Identity token on a pod that has both', async () => {
    const [both] = await mapped(
      pod('both', {
        nodeName: 'ip-10-0-1-23.eu-west-1.compute.internal',
        containers: [
          {
            name: 'app',
            env: [
              { name: 'AWS_STS_REGIONAL_ENDPOINTS', value: 'regional' },
              { name: 'AWS_ROLE_ARN', value: 'arn:aws:iam::1:role/cart' },
              {
                name: 'AWS_WEB_IDENTITY_TOKEN_FILE',
                value: `${IRSA_MOUNT}/token`,
              },
              {
                name: 'AWS_CONTAINER_CREDENTIALS_FULL_URI',
                value: 'http://169.254.170.23/v1/credentials',
              },
              {
                name: 'AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE',
                value: `${POD_IDENTITY_MOUNT}/eks-pod-identity-token`,
              },
            ],
            volumeMounts: [
              kubeApiAccess.mount,
              {
                name: 'eks-pod-identity-token',
                mountPath: POD_IDENTITY_MOUNT,
                readOnly: true,
              },
              { name: 'aws-iam-token', mountPath: IRSA_MOUNT, readOnly: true },
            ],
          },
        ],
        // Pod Identity's volume first: the IRSA token is found by name, not position.
        volumes: [
          kubeApiAccess.volume,
          tokenVolume(
            'eks-pod-identity-token',
            'pods.eks.amazonaws.com',
            'eks-pod-identity-token',
          ),
          tokenVolume('aws-iam-token', 'sts.amazonaws.com', 'token'),
        ],
      }),
    );
    expect(both.projectedToken).toEqual({
      volumeName: 'aws-iam-token',
      audience: 'sts.amazonaws.com',
      path: 'token',
      mountPath: IRSA_MOUNT,
    });
    expect(both.projectedTokens).toEqual([
      {
        volumeName: 'kube-api-access-7xk2p',
        path: 'token',
        mountPath: KUBE_API_MOUNT,
      },
      {
        volumeName: 'eks-pod-identity-token',
        audience: 'pods.eks.amazonaws.com',
        path: 'eks-pod-identity-token',
        mountPath: POD_IDENTITY_MOUNT,
      },
      {
        volumeName: 'aws-iam-token',
        audience: 'sts.amazonaws.com',
        path: 'token',
        mountPath: IRSA_MOUNT,
      },
    ]);
    expect(both).toMatchObject({
      nodeName: 'ip-10-0-1-23.eu-west-1.compute.internal',
      fargate: false,
      labels: { app: 'cart' },
    });
    expect(both.os).toBeUndefined();
    expect(both.containers[0]).toMatchObject({
      secretEnv: [],
      envFromSecrets: [],
      secretMounts: [],
    });
  });

  it('finds a renamed IRSA volume by its audience, and none on a pod with only Pod Identity', async () => {
    const [renamed, podIdentityOnly] = await mapped(
      pod('renamed', {
        containers: [{ name: 'app' }],
        volumes: [tokenVolume('iam-token', 'sts.amazonaws.com', 'token')],
      }),
      pod('pod-identity', {
        containers: [{ name: 'app' }],
        volumes: [
          tokenVolume(
            'eks-pod-identity-token',
            'pods.eks.amazonaws.com',
            'eks-pod-identity-token',
          ),
        ],
      }),
    );
    // Nothing mounts these volumes, so there is no mount path.
    expect(renamed.projectedToken).toEqual({
      volumeName: 'iam-token',
      audience: 'sts.amazonaws.com',
      path: 'token',
    });
    expect(podIdentityOnly.projectedToken).toBeUndefined();
    expect(podIdentityOnly.projectedTokens).toEqual([
      {
        volumeName: 'eks-pod-identity-token',
        audience: 'pods.eks.amazonaws.com',
        path: 'eks-pod-identity-token',
      },
    ]);
  });

  it('marks Fargate pods by the profile label or the Fargate scheduler', async () => {
    const [fargate, pending, ec2] = await mapped(
      pod(
        'fargate',
        {
          schedulerName: 'fargate-scheduler',
          nodeName: 'fargate-ip-10-0-2-7.eu-west-1.compute.internal',
          containers: [{ name: 'app' }],
        },
        {
          app: 'cart',
          'eks.amazonaws.com/fargate-profile': 'fp-default',
        },
      ),
      // Not yet labelled, already handed to the Fargate scheduler.
      pod('pending', {
        schedulerName: 'fargate-scheduler',
        containers: [{ name: 'app' }],
      }),
      pod('ec2', {
        schedulerName: 'default-scheduler',
        nodeName: 'ip-10-0-1-23.eu-west-1.compute.internal',
        containers: [{ name: 'app' }],
      }),
    );
    expect(fargate).toMatchObject({
      fargate: true,
      nodeName: 'fargate-ip-10-0-2-7.eu-west-1.compute.internal',
      labels: {
        app: 'cart',
        'eks.amazonaws.com/fargate-profile': 'fp-default',
      },
    });
    expect(pending.fargate).toBe(true);
    expect(pending.nodeName).toBeUndefined();
    expect(ec2.fargate).toBe(false);
  });

  it('reads the OS from spec.os, else the kubernetes.io/os node selector', async () => {
    const [declared, selected, unspecified] = await mapped(
      pod('declared', {
        os: { name: 'windows' },
        nodeSelector: { 'kubernetes.io/os': 'linux' },
        containers: [{ name: 'app' }],
      }),
      pod('selected', {
        nodeSelector: {
          'kubernetes.io/os': 'windows',
          'kubernetes.io/arch': 'amd64',
        },
        containers: [{ name: 'app' }],
      }),
      pod('unspecified', { containers: [{ name: 'app' }] }),
    );
    expect(declared.os).toBe('windows');
    expect(selected.os).toBe('windows');
    expect(unspecified).not.toHaveProperty('os');
  });

  it('names static AWS keys in env, envFrom Secrets and Secret mounts, without any secret value', async () => {
    const [keys] = await mapped(
      pod('keys', {
        containers: [
          {
            name: 'app',
            env: [
              { name: 'AWS_ACCESS_KEY_ID', value: 'AKIAIOSFODNN7EXAMPLE' },
              {
                name: 'AWS_SECRET_ACCESS_KEY',
                value: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
              },
              { name: 'AWS_SESSION_TOKEN', value: 'FwoGZXIvYXdzEXAMPLE' },
              {
                name: 'AWS_REGION',
                valueFrom: {
                  configMapKeyRef: { name: 'aws', key: 'region' },
                },
              },
              {
                name: 'LEGACY_SECRET_KEY',
                valueFrom: {
                  secretKeyRef: { name: 'legacy-aws', key: 'secret' },
                },
              },
            ],
            envFrom: [
              { configMapRef: { name: 'settings' } },
              { secretRef: { name: 'aws-credentials' }, prefix: 'APP_' },
            ],
            volumeMounts: [
              kubeApiAccess.mount,
              {
                name: 'aws-config',
                mountPath: '/root/.aws',
                readOnly: true,
              },
              { name: 'bundle', mountPath: '/etc/creds' },
              { name: 'cache', mountPath: '/tmp/cache' },
            ],
          },
          {
            name: 'sidecar',
            env: [
              {
                name: 'AWS_ACCESS_KEY_ID',
                valueFrom: {
                  secretKeyRef: { name: 'sidecar-aws', key: 'id' },
                },
              },
            ],
          },
        ],
        volumes: [
          kubeApiAccess.volume,
          { name: 'aws-config', secret: { secretName: 'aws-profile' } },
          {
            name: 'bundle',
            projected: {
              sources: [
                { secret: { name: 'db-password' } },
                { configMap: { name: 'ca' } },
                { secret: { name: 'api-key' } },
              ],
            },
          },
          { name: 'cache', emptyDir: {} },
        ],
      }),
    );
    expect(keys.containers).toEqual([
      {
        name: 'app',
        env: {
          AWS_ACCESS_KEY_ID: 'AKIAIOSFODNN7EXAMPLE',
          AWS_SECRET_ACCESS_KEY: '[redacted]',
          AWS_SESSION_TOKEN: '[redacted]',
          AWS_REGION: undefined,
          LEGACY_SECRET_KEY: undefined,
        },
        secretEnv: ['LEGACY_SECRET_KEY'],
        envFromSecrets: ['aws-credentials'],
        volumeMountPaths: [
          KUBE_API_MOUNT,
          '/root/.aws',
          '/etc/creds',
          '/tmp/cache',
        ],
        secretMounts: [
          { path: '/root/.aws', secretName: 'aws-profile' },
          { path: '/etc/creds', secretName: 'db-password' },
          { path: '/etc/creds', secretName: 'api-key' },
        ],
      },
      {
        name: 'sidecar',
        env: { AWS_ACCESS_KEY_ID: undefined },
        secretEnv: ['AWS_ACCESS_KEY_ID'],
        envFromSecrets: [],
        volumeMountPaths: [],
        secretMounts: [],
      },
    ]);
    expect(JSON.stringify(keys)).not.toMatch(/wJalrXUtnFEMI|FwoGZXIvYXdz/);
  });
});
