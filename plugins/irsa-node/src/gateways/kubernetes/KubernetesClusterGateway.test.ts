import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import { ConfigReader } from '@backstage/config';
import { mockClient } from 'aws-sdk-client-mock';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { EksTokenProvider } from './eksToken';
import {
  KubernetesClusterGateway,
  readKubernetesClusters,
} from './KubernetesClusterGateway';

interface Recorded {
  method: string;
  path: string;
  query: Record<string, string>;
  contentType?: string;
  authorization?: string;
  body?: any;
}

const status = (code: number, message: string, reason = 'Unknown') => ({
  kind: 'Status',
  apiVersion: 'v1',
  status: 'Failure',
  message,
  reason,
  code,
});

/** An HTTP double of the Kubernetes API answering with the real API's JSON. */
async function apiServer(
  routes: Array<
    (req: Recorded) => { status: number; body: unknown } | undefined
  >,
) {
  const requests: Recorded[] = [];
  const server = http.createServer((req, res) => {
    let raw = '';
    req.on('data', c => (raw += c));
    req.on('end', () => {
      const url = new URL(req.url!, 'http://x');
      const recorded: Recorded = {
        method: req.method!,
        path: url.pathname,
        query: Object.fromEntries(url.searchParams),
        contentType: req.headers['content-type'],
        authorization: req.headers.authorization,
        body: raw ? JSON.parse(raw) : undefined,
      };
      requests.push(recorded);
      const answer = routes.map(r => r(recorded)).find(Boolean) ?? {
        status: 500,
        body: status(500, 'no route'),
      };
      res.writeHead(answer.status, {
        'content-type': 'application/json',
        'audit-id': 'audit-1',
      });
      res.end(JSON.stringify(answer.body));
    });
  });
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    requests,
    close: () => new Promise(resolve => server.close(resolve)),
  };
}

const sa = (
  resourceVersion: string,
  annotations: Record<string, string> = {},
) => ({
  apiVersion: 'v1',
  kind: 'ServiceAccount',
  metadata: {
    name: 'cart',
    namespace: 'shop',
    uid: 'u1',
    resourceVersion,
    creationTimestamp: '2026-11-24T00:00:00Z',
    annotations,
    labels: { app: 'cart' },
  },
});
const pod = (name: string, env: Array<{ name: string; value: string }>) => ({
  metadata: {
    name,
    namespace: 'shop',
    uid: name,
    creationTimestamp: '2026-11-24T00:00:00Z',
  },
  spec: {
    serviceAccountName: 'cart',
    containers: [
      {
        name: 'app',
        env,
        volumeMounts: [
          {
            name: 'aws-iam-token',
            mountPath: '/var/run/secrets/eks.amazonaws.com/serviceaccount',
          },
        ],
      },
    ],
    volumes: [
      {
        name: 'aws-iam-token',
        projected: {
          sources: [
            {
              serviceAccountToken: {
                audience: 'sts.amazonaws.com',
                expirationSeconds: 86400,
                path: 'token',
              },
            },
          ],
        },
      },
    ],
  },
  status: { phase: 'Running' },
});

function gatewayFor(url: string) {
  // The double speaks plain HTTP, which the client only allows with skipTLSVerify.
  return new KubernetesClusterGateway([
    {
      name: 'prod',
      url,
      authProvider: 'serviceAccount',
      serviceAccountToken: 'sa-token',
      skipTLSVerify: true,
    },
  ]);
}

describe('KubernetesClusterGateway (HTTP double of the API server)', () => {
  let server: Awaited<ReturnType<typeof apiServer>>;
  afterEach(() => server?.close());

  it('reads a ServiceAccount with the bearer token, and maps 404 to undefined', async () => {
    server = await apiServer([
      r =>
        r.path === '/api/v1/namespaces/shop/serviceaccounts/cart'
          ? { status: 200, body: sa('7', { a: 'b' }) }
          : undefined,
      r =>
        r.path === '/api/v1/namespaces/shop/serviceaccounts/nope'
          ? {
              status: 404,
              body: status(404, 'serviceaccounts "nope" not found', 'NotFound'),
            }
          : undefined,
    ]);
    const g = gatewayFor(server.url);
    expect(await g.getServiceAccount('prod', 'shop', 'cart')).toEqual({
      namespace: 'shop',
      name: 'cart',
      uid: 'u1',
      resourceVersion: '7',
      creationTimestamp: '2026-11-24T00:00:00.000Z',
      annotations: { a: 'b' },
      labels: { app: 'cart' },
    });
    expect(await g.getServiceAccount('prod', 'shop', 'nope')).toBeUndefined();
    expect(server.requests[0]).toMatchObject({
      method: 'GET',
      authorization: 'Bearer sa-token',
    });
  });

  it('merge-patches only the annotations, guarded by resourceVersion, retrying a 409', async () => {
    let patches = 0;
    server = await apiServer([
      r =>
        r.method === 'GET'
          ? { status: 200, body: sa(patches === 0 ? '7' : '8') }
          : undefined,
      r => {
        if (r.method !== 'PATCH') return undefined;
        patches += 1;
        return patches === 1
          ? {
              status: 409,
              body: status(
                409,
                'Operation cannot be fulfilled on serviceaccounts "cart": the object has been modified',
                'Conflict',
              ),
            }
          : {
              status: 200,
              body: sa('9', {
                'eks.amazonaws.com/role-arn': 'arn:aws:iam::1:role/r',
              }),
            };
      },
    ]);
    const result = await gatewayFor(server.url).patchServiceAccountAnnotations(
      'prod',
      'shop',
      'cart',
      { 'eks.amazonaws.com/role-arn': 'arn:aws:iam::1:role/r' },
    );
    expect(result.annotations).toEqual({
      'eks.amazonaws.com/role-arn': 'arn:aws:iam::1:role/r',
    });
    const sent = server.requests.filter(r => r.method === 'PATCH');
    expect(sent.map(r => [r.contentType, r.body])).toEqual([
      [
        'application/merge-patch+json',
        {
          metadata: {
            resourceVersion: '7',
            annotations: {
              'eks.amazonaws.com/role-arn': 'arn:aws:iam::1:role/r',
            },
          },
        },
      ],
      [
        'application/merge-patch+json',
        {
          metadata: {
            resourceVersion: '8',
            annotations: {
              'eks.amazonaws.com/role-arn': 'arn:aws:iam::1:role/r',
            },
          },
        },
      ],
    ]);
  });

  it('lists pods by spec.serviceAccountName across pages, with env and the projected token', async () => {
    server = await apiServer([
      r =>
        r.path === '/api/v1/namespaces/shop/pods' && !r.query.continue
          ? {
              status: 200,
              body: {
                kind: 'PodList',
                apiVersion: 'v1',
                metadata: { continue: 'c1' },
                items: [pod('a', [{ name: 'AWS_ROLE_ARN', value: 'arn:r' }])],
              },
            }
          : undefined,
      r =>
        r.path === '/api/v1/namespaces/shop/pods'
          ? {
              status: 200,
              body: {
                kind: 'PodList',
                apiVersion: 'v1',
                metadata: {},
                items: [pod('b', [])],
              },
            }
          : undefined,
    ]);
    const pods = await gatewayFor(server.url).listPodsForServiceAccount(
      'prod',
      'shop',
      'cart',
    );
    expect(
      pods.map(p => [p.name, p.containers[0].env.AWS_ROLE_ARN ?? null]),
    ).toEqual([
      ['a', 'arn:r'],
      ['b', null],
    ]);
    expect(pods[0].projectedToken).toEqual({
      volumeName: 'aws-iam-token',
      audience: 'sts.amazonaws.com',
      path: 'token',
    });
    expect(server.requests.map(r => r.query)).toEqual([
      { fieldSelector: 'spec.serviceAccountName=cart', limit: '100' },
      {
        fieldSelector: 'spec.serviceAccountName=cart',
        limit: '100',
        continue: 'c1',
      },
    ]);
  });

  it('requests a token for sts.amazonaws.com with the minimum expiry, and maps 422 and 403', async () => {
    server = await apiServer([
      r =>
        r.path === '/api/v1/namespaces/shop/serviceaccounts/cart/token'
          ? {
              status: 201,
              body: {
                kind: 'TokenRequest',
                apiVersion: 'authentication.k8s.io/v1',
                spec: r.body.spec,
                status: {
                  token: 'jwt',
                  expirationTimestamp: '2026-11-24T00:10:00Z',
                },
              },
            }
          : undefined,
      r =>
        r.path.endsWith('/serviceaccounts/short/token')
          ? {
              status: 422,
              body: status(
                422,
                'spec.expirationSeconds: Invalid value',
                'Invalid',
              ),
            }
          : undefined,
      r =>
        r.path.endsWith('/serviceaccounts/secret/token')
          ? { status: 403, body: status(403, 'forbidden', 'Forbidden') }
          : undefined,
    ]);
    const g = gatewayFor(server.url);
    expect(
      await g.requestServiceAccountToken('prod', 'shop', 'cart', {
        audience: 'sts.amazonaws.com',
        expirationSeconds: 600,
      }),
    ).toEqual({
      token: 'jwt',
      expirationTimestamp: '2026-11-24T00:10:00.000Z',
    });
    expect(server.requests[0].body).toEqual({
      apiVersion: 'authentication.k8s.io/v1',
      kind: 'TokenRequest',
      spec: { audiences: ['sts.amazonaws.com'], expirationSeconds: 600 },
    });
    await expect(
      g.requestServiceAccountToken('prod', 'shop', 'short', {
        audience: 'sts.amazonaws.com',
        expirationSeconds: 10,
      }),
    ).rejects.toMatchObject({
      kind: 'invalid-input',
      code: '422',
      requestId: 'audit-1',
    });
    await expect(
      g.requestServiceAccountToken('prod', 'shop', 'secret', {
        audience: 'sts.amazonaws.com',
        expirationSeconds: 600,
      }),
    ).rejects.toMatchObject({ kind: 'access-denied', code: '403' });
  });

  it('signs EKS tokens as kubernetes.io/aws-assume-role, assumed with the account credentials', async () => {
    const sts = mockClient(STSClient);
    sts.on(AssumeRoleCommand).resolves({
      Credentials: {
        AccessKeyId: 'ASIAASSUMED',
        SecretAccessKey: 's',
        SessionToken: 'session',
        Expiration: new Date(Date.now() + 900_000),
      },
    });
    server = await apiServer([
      r => (r.method === 'GET' ? { status: 200, body: sa('1') } : undefined),
    ]);
    const credentialsManager = {
      getCredentialProvider: jest.fn(async () => ({
        sdkCredentialProvider: async () => ({
          accessKeyId: 'AKIABASE',
          secretAccessKey: 'b',
        }),
      })),
    };
    const g = new KubernetesClusterGateway(
      [
        {
          name: 'prod',
          url: server.url,
          authProvider: 'aws',
          skipTLSVerify: true,
          eksClusterName: 'prod-eks',
          accountId: '111122223333',
          region: 'eu-west-1',
          assumeRole: 'arn:aws:iam::111122223333:role/backstage-eks',
          externalId: 'ext-1',
        },
      ],
      credentialsManager,
    );
    await g.getServiceAccount('prod', 'shop', 'cart');
    await g.getServiceAccount('prod', 'shop', 'cart');

    expect(
      sts.commandCalls(AssumeRoleCommand).map(c => c.args[0].input),
    ).toEqual([
      {
        RoleArn: 'arn:aws:iam::111122223333:role/backstage-eks',
        ExternalId: 'ext-1',
        RoleSessionName: 'backstage-irsa',
        DurationSeconds: 900,
      },
    ]);
    expect(credentialsManager.getCredentialProvider).toHaveBeenCalledWith({
      accountId: '111122223333',
    });
    const bearer = server.requests[0].authorization!.replace('Bearer ', '');
    const url = new URL(
      Buffer.from(bearer.slice('k8s-aws-v1.'.length), 'base64url').toString(),
    );
    expect(url.searchParams.get('X-Amz-Credential')).toMatch(/^ASIAASSUMED\//);
    expect(url.searchParams.get('X-Amz-Security-Token')).toBe('session');
    sts.restore();
  });

  it('names the missing cluster instead of crashing', async () => {
    await expect(
      new KubernetesClusterGateway([]).listPodsForServiceAccount(
        'prod',
        'a',
        'b',
      ),
    ).rejects.toMatchObject({
      kind: 'unavailable',
      message:
        'k8s:list pods: cluster "prod" is not configured under kubernetes.clusterLocatorMethods (type: config)',
    });
  });
});

describe('readKubernetesClusters', () => {
  it('reads the Kubernetes plugin config shape and joins irsa.clusters for EKS tokens', () => {
    const config = new ConfigReader({
      kubernetes: {
        clusterLocatorMethods: [
          { type: 'catalog' },
          {
            type: 'config',
            clusters: [
              {
                name: 'prod',
                url: 'https://k8s',
                authProvider: 'aws',
                caData: 'Q0E=',
                authMetadata: {
                  'kubernetes.io/aws-assume-role':
                    'arn:aws:iam::111122223333:role/backstage-eks',
                  'kubernetes.io/aws-external-id': 'ext-1',
                },
              },
            ],
          },
        ],
      },
      irsa: {
        clusters: [
          {
            name: 'prod',
            accountId: '111122223333',
            region: 'eu-west-1',
            eksClusterName: 'prod-eks',
          },
        ],
      },
    });
    expect(readKubernetesClusters(config)).toEqual([
      {
        name: 'prod',
        url: 'https://k8s',
        authProvider: 'aws',
        caData: 'Q0E=',
        caFile: undefined,
        serviceAccountToken: undefined,
        skipTLSVerify: undefined,
        eksClusterName: 'prod-eks',
        accountId: '111122223333',
        region: 'eu-west-1',
        assumeRole: 'arn:aws:iam::111122223333:role/backstage-eks',
        externalId: 'ext-1',
      },
    ]);
  });

  it('names the key of a bad entry', () => {
    const bad = (cluster: object) =>
      new ConfigReader({
        kubernetes: {
          clusterLocatorMethods: [{ type: 'config', clusters: [cluster] }],
        },
      });
    expect(() =>
      readKubernetesClusters(
        bad({ name: 'a', url: 'u', authProvider: 'oidc' }),
      ),
    ).toThrow(
      'kubernetes.clusterLocatorMethods[0].clusters[0].authProvider: IRSA supports "aws" and "serviceAccount", got "oidc"',
    );
    expect(() =>
      readKubernetesClusters(
        bad({ name: 'a', url: 'u', authProvider: 'serviceAccount' }),
      ),
    ).toThrow(
      'kubernetes.clusterLocatorMethods[0].clusters[0].serviceAccountToken: is required with authProvider "serviceAccount"',
    );
  });
});

describe('EksTokenProvider', () => {
  it('presigns GetCallerIdentity for the cluster and caches the token', async () => {
    let now = 0;
    const provider = new EksTokenProvider(() => now);
    const credentials = {
      accessKeyId: 'AKIAEXAMPLE',
      secretAccessKey: 'secret',
    };
    const token = await provider.token({
      clusterName: 'prod-eks',
      region: 'eu-west-1',
      credentials,
    });
    expect(token).toMatch(/^k8s-aws-v1\.[A-Za-z0-9_-]+$/);
    const url = new URL(
      Buffer.from(token.slice('k8s-aws-v1.'.length), 'base64url').toString(),
    );
    expect(url.origin).toBe('https://sts.eu-west-1.amazonaws.com');
    expect(url.searchParams.get('Action')).toBe('GetCallerIdentity');
    expect(url.searchParams.get('X-Amz-Expires')).toBe('60');
    expect(url.searchParams.get('X-Amz-SignedHeaders')).toBe(
      'host;x-k8s-aws-id',
    );
    expect(url.searchParams.get('X-Amz-Credential')).toMatch(
      /^AKIAEXAMPLE\/\d{8}\/eu-west-1\/sts\/aws4_request$/,
    );
    expect(url.searchParams.get('X-Amz-Signature')).toMatch(/^[0-9a-f]{64}$/);

    now = 9 * 60_000;
    expect(
      await provider.token({
        clusterName: 'prod-eks',
        region: 'eu-west-1',
        credentials,
      }),
    ).toBe(token);
    now = 11 * 60_000;
    await new Promise(resolve => setTimeout(resolve, 1100)); // a new signing second
    expect(
      await provider.token({
        clusterName: 'prod-eks',
        region: 'eu-west-1',
        credentials,
      }),
    ).not.toBe(token);
  });
});
