import {
  AssumeRoleCommand,
  STSClient,
  STSServiceException,
} from '@aws-sdk/client-sts';
import { ConfigReader } from '@backstage/config';
import { mockClient } from 'aws-sdk-client-mock';
import {
  apiServer,
  gatewayFor,
  status,
  type Recorded,
} from './__testUtils__/kubernetesApiServer';
import { EksTokenProvider } from './eksToken';
import { readKubernetesTimeoutMs } from '.';
import {
  KubernetesClusterGateway,
  readKubernetesClusters,
} from './KubernetesClusterGateway';

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
      mountPath: '/var/run/secrets/eks.amazonaws.com/serviceaccount',
    });
    expect(server.requests.map(r => r.query)).toEqual([
      { fieldSelector: 'spec.serviceAccountName=cart', limit: '500' },
      {
        fieldSelector: 'spec.serviceAccountName=cart',
        limit: '500',
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

  it('reports a refused kubernetes.io/aws-assume-role as sts:AssumeRole access-denied, without calling the cluster', async () => {
    const sts = mockClient(STSClient);
    sts.on(AssumeRoleCommand).rejects(
      new STSServiceException({
        name: 'AccessDenied',
        $fault: 'client',
        $metadata: { requestId: 'req-1' },
        message:
          'User: arn:aws:iam::111122223333:user/backstage is not authorized to perform: sts:AssumeRole',
      }),
    );
    server = await apiServer([]);
    const g = new KubernetesClusterGateway(
      [
        {
          name: 'prod',
          url: server.url,
          authProvider: 'aws',
          skipTLSVerify: true,
          accountId: '111122223333',
          region: 'eu-west-1',
          assumeRole: 'arn:aws:iam::111122223333:role/backstage-eks',
        },
      ],
      {
        getCredentialProvider: async () => ({
          sdkCredentialProvider: async () => ({
            accessKeyId: 'AKIABASE',
            secretAccessKey: 'b',
          }),
        }),
      },
    );
    await expect(
      g.getServiceAccount('prod', 'shop', 'cart'),
    ).rejects.toMatchObject({
      name: 'GatewayError',
      kind: 'access-denied',
      operation: 'sts:AssumeRole',
      code: 'AccessDenied',
      requestId: 'req-1',
    });
    expect(server.requests).toEqual([]);
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

describe('KubernetesClusterGateway: access review, metadata, timeouts, errors', () => {
  let server: Awaited<ReturnType<typeof apiServer>>;
  afterEach(() => server?.close());

  const SSAR_PATH = '/apis/authorization.k8s.io/v1/selfsubjectaccessreviews';

  it('reviews each right with its own SelfSubjectAccessReview and answers in the order asked', async () => {
    server = await apiServer([
      r => {
        if (r.method !== 'POST' || r.path !== SSAR_PATH) return undefined;
        const attributes = r.body.spec.resourceAttributes;
        const allowed = attributes.verb !== 'patch';
        return {
          status: 201,
          body: {
            kind: 'SelfSubjectAccessReview',
            apiVersion: 'authorization.k8s.io/v1',
            spec: r.body.spec,
            status: allowed
              ? {
                  allowed: true,
                  reason:
                    'RBAC: allowed by RoleBinding "irsa/shop" of Role "irsa" to ServiceAccount "backstage/backstage"',
                }
              : { allowed: false },
          },
        };
      },
    ]);
    const results = await gatewayFor(server.url).reviewAccess('prod', [
      { verb: 'get', resource: 'serviceaccounts', namespace: 'shop' },
      { verb: 'patch', resource: 'serviceaccounts', namespace: 'shop' },
      {
        verb: 'create',
        resource: 'serviceaccounts',
        subresource: 'token',
        namespace: 'shop',
      },
    ]);
    expect(results).toEqual([
      {
        verb: 'get',
        resource: 'serviceaccounts',
        namespace: 'shop',
        allowed: true,
        reason:
          'RBAC: allowed by RoleBinding "irsa/shop" of Role "irsa" to ServiceAccount "backstage/backstage"',
      },
      {
        verb: 'patch',
        resource: 'serviceaccounts',
        namespace: 'shop',
        allowed: false,
      },
      {
        verb: 'create',
        resource: 'serviceaccounts',
        subresource: 'token',
        namespace: 'shop',
        allowed: true,
        reason:
          'RBAC: allowed by RoleBinding "irsa/shop" of Role "irsa" to ServiceAccount "backstage/backstage"',
      },
    ]);
    // Sent in parallel, so they may arrive in any order.
    const sent = server.requests
      .map(r => ({
        method: r.method,
        path: r.path,
        authorization: r.authorization,
        body: r.body,
      }))
      .sort((a, b) =>
        a.body.spec.resourceAttributes.verb.localeCompare(
          b.body.spec.resourceAttributes.verb,
        ),
      );
    const review = (resourceAttributes: object) => ({
      method: 'POST',
      path: SSAR_PATH,
      authorization: 'Bearer sa-token',
      body: {
        apiVersion: 'authorization.k8s.io/v1',
        kind: 'SelfSubjectAccessReview',
        spec: { resourceAttributes },
      },
    });
    expect(sent).toEqual([
      review({
        namespace: 'shop',
        verb: 'create',
        resource: 'serviceaccounts',
        subresource: 'token',
        group: '',
      }),
      review({
        namespace: 'shop',
        verb: 'get',
        resource: 'serviceaccounts',
        group: '',
      }),
      review({
        namespace: 'shop',
        verb: 'patch',
        resource: 'serviceaccounts',
        group: '',
      }),
    ]);
  });

  it('counts a review as denied when an authorizer denies it, passing the group and the evaluation error', async () => {
    server = await apiServer([
      r =>
        r.path === SSAR_PATH
          ? {
              status: 201,
              body: {
                kind: 'SelfSubjectAccessReview',
                apiVersion: 'authorization.k8s.io/v1',
                spec: r.body.spec,
                status: {
                  allowed: true,
                  denied: true,
                  evaluationError: 'webhook authorizer unreachable',
                },
              },
            }
          : undefined,
    ]);
    expect(
      await gatewayFor(server.url).reviewAccess('prod', [
        {
          verb: 'get',
          resource: 'deployments',
          namespace: 'shop',
          group: 'apps',
        },
      ]),
    ).toEqual([
      {
        verb: 'get',
        resource: 'deployments',
        namespace: 'shop',
        group: 'apps',
        allowed: false,
        reason: 'webhook authorizer unreachable',
      },
    ]);
    expect(server.requests[0].body.spec.resourceAttributes).toEqual({
      namespace: 'shop',
      verb: 'get',
      resource: 'deployments',
      group: 'apps',
    });
  });

  it('creates a ServiceAccount with its annotations and labels, and maps AlreadyExists', async () => {
    server = await apiServer([
      r =>
        r.method === 'POST' && r.body.metadata.name === 'cart'
          ? {
              status: 201,
              body: {
                ...sa('1', r.body.metadata.annotations),
                metadata: {
                  ...sa('1').metadata,
                  annotations: r.body.metadata.annotations,
                  labels: r.body.metadata.labels,
                },
              },
            }
          : undefined,
      r =>
        r.method === 'POST'
          ? {
              status: 409,
              body: status(
                409,
                'serviceaccounts "taken" already exists',
                'AlreadyExists',
              ),
            }
          : undefined,
    ]);
    const g = gatewayFor(server.url);
    const created = await g.createServiceAccount('prod', {
      namespace: 'shop',
      name: 'cart',
      annotations: { 'eks.amazonaws.com/role-arn': 'arn:aws:iam::1:role/r' },
      labels: { 'irsa.dev/managed-by': 'backstage-irsa' },
    });
    expect(created.labels).toEqual({ 'irsa.dev/managed-by': 'backstage-irsa' });
    expect(server.requests[0]).toMatchObject({
      method: 'POST',
      path: '/api/v1/namespaces/shop/serviceaccounts',
      body: {
        apiVersion: 'v1',
        kind: 'ServiceAccount',
        metadata: {
          name: 'cart',
          namespace: 'shop',
          annotations: {
            'eks.amazonaws.com/role-arn': 'arn:aws:iam::1:role/r',
          },
          labels: { 'irsa.dev/managed-by': 'backstage-irsa' },
        },
      },
    });
    await expect(
      g.createServiceAccount('prod', {
        namespace: 'shop',
        name: 'taken',
        annotations: {},
      }),
    ).rejects.toMatchObject({
      kind: 'already-exists',
      code: '409',
      message:
        'k8s:create serviceaccounts: serviceaccounts "taken" already exists in namespace shop',
    });
  });

  it('merge-patches annotations and labels together (null removes), guarded by the version just read', async () => {
    server = await apiServer([
      r => (r.method === 'GET' ? { status: 200, body: sa('7') } : undefined),
      r => (r.method === 'PATCH' ? { status: 200, body: sa('8') } : undefined),
    ]);
    await gatewayFor(server.url).patchServiceAccountMetadata(
      'prod',
      'shop',
      'cart',
      {
        annotations: {
          'irsa.dev/entity-ref': 'component:default/cart',
          'irsa.dev/owner': null,
        },
        labels: { 'irsa.dev/managed-by': 'backstage-irsa' },
      },
    );
    expect(
      server.requests.map(r => [r.method, r.path, r.contentType, r.body]),
    ).toEqual([
      [
        'GET',
        '/api/v1/namespaces/shop/serviceaccounts/cart',
        undefined,
        undefined,
      ],
      [
        'PATCH',
        '/api/v1/namespaces/shop/serviceaccounts/cart',
        'application/merge-patch+json',
        {
          metadata: {
            resourceVersion: '7',
            annotations: {
              'irsa.dev/entity-ref': 'component:default/cart',
              'irsa.dev/owner': null,
            },
            labels: { 'irsa.dev/managed-by': 'backstage-irsa' },
          },
        },
      ],
    ]);
  });

  it('deletes a ServiceAccount with a resourceVersion precondition, mapping 409 and 404', async () => {
    const answers = [
      { status: 200, body: sa('7') },
      {
        status: 409,
        body: status(
          409,
          'Precondition failed: ResourceVersion in precondition: 7, ResourceVersion in object meta: 8',
          'Conflict',
        ),
      },
      {
        status: 404,
        body: status(404, 'serviceaccounts "cart" not found', 'NotFound'),
      },
    ];
    server = await apiServer([
      r => (r.method === 'DELETE' ? answers.shift() : undefined),
    ]);
    const gateway = gatewayFor(server.url);
    const remove = () =>
      gateway.deleteServiceAccount('prod', 'shop', 'cart', {
        expectedResourceVersion: '7',
      });
    await expect(remove()).resolves.toBeUndefined();
    await expect(remove()).rejects.toMatchObject({
      kind: 'conflict',
      code: '409',
      message:
        'k8s:delete serviceaccounts: serviceaccounts "cart" in namespace shop changed since resourceVersion 7 was read',
    });
    await expect(remove()).rejects.toMatchObject({
      kind: 'not-found',
      code: '404',
      message: 'k8s:delete serviceaccounts: serviceaccounts "cart" not found',
    });
    expect(server.requests.map(r => [r.method, r.path, r.body])).toEqual(
      Array(3).fill([
        'DELETE',
        '/api/v1/namespaces/shop/serviceaccounts/cart',
        { preconditions: { resourceVersion: '7' } },
      ]),
    );
  });

  it('with an expected resourceVersion, patches without reading and surfaces a 409 instead of retrying', async () => {
    server = await apiServer([
      r =>
        r.method === 'PATCH'
          ? {
              status: 409,
              body: status(
                409,
                'Operation cannot be fulfilled on serviceaccounts "cart": the object has been modified; please apply your changes to the latest version and try again',
                'Conflict',
              ),
            }
          : undefined,
    ]);
    await expect(
      gatewayFor(server.url).patchServiceAccountMetadata(
        'prod',
        'shop',
        'cart',
        { labels: { 'irsa.dev/managed-by': 'backstage-irsa' } },
        { expectedResourceVersion: '7' },
      ),
    ).rejects.toMatchObject({
      kind: 'conflict',
      code: '409',
      message:
        'k8s:patch serviceaccounts: serviceaccounts "cart" in namespace shop changed since resourceVersion 7 was read',
    });
    expect(server.requests.map(r => [r.method, r.body])).toEqual([
      [
        'PATCH',
        {
          metadata: {
            resourceVersion: '7',
            labels: { 'irsa.dev/managed-by': 'backstage-irsa' },
          },
        },
      ],
    ]);
  });

  it('gives up after three conflicts without an expected version, and refuses an empty patch without calling', async () => {
    server = await apiServer([
      r => (r.method === 'GET' ? { status: 200, body: sa('7') } : undefined),
      r =>
        r.method === 'PATCH'
          ? { status: 409, body: status(409, 'modified', 'Conflict') }
          : undefined,
    ]);
    const g = gatewayFor(server.url);
    await expect(
      g.patchServiceAccountAnnotations('prod', 'shop', 'cart', { a: 'b' }),
    ).rejects.toMatchObject({ kind: 'conflict', code: '409' });
    expect(server.requests.map(r => r.method)).toEqual([
      'GET',
      'PATCH',
      'GET',
      'PATCH',
      'GET',
      'PATCH',
    ]);
    server.requests.splice(0);
    await expect(
      g.patchServiceAccountMetadata('prod', 'shop', 'cart', {}),
    ).rejects.toMatchObject({
      kind: 'invalid-input',
      message:
        'k8s:patch serviceaccounts: patch: give annotations or labels to change',
    });
    expect(server.requests).toEqual([]);
  });

  it('asks for sts.amazonaws.com only when no audience is given, and refuses an empty one', async () => {
    server = await apiServer([
      r =>
        r.path.endsWith('/token')
          ? {
              status: 201,
              body: {
                kind: 'TokenRequest',
                apiVersion: 'authentication.k8s.io/v1',
                status: {
                  token: 'jwt',
                  expirationTimestamp: '2026-11-24T00:10:00Z',
                },
              },
            }
          : undefined,
    ]);
    const g = gatewayFor(server.url);
    await g.requestServiceAccountToken('prod', 'shop', 'cart', {
      expirationSeconds: 600,
    });
    await g.requestServiceAccountToken('prod', 'shop', 'cart', {
      audience: 'vault',
      expirationSeconds: 600,
    });
    expect(server.requests.map(r => r.body.spec.audiences)).toEqual([
      ['sts.amazonaws.com'],
      ['vault'],
    ]);
    await expect(
      g.requestServiceAccountToken('prod', 'shop', 'cart', {
        audience: '',
        expirationSeconds: 600,
      }),
    ).rejects.toMatchObject({ kind: 'invalid-input' });
    expect(server.requests).toHaveLength(2);
  });

  it('fails a call the API server never answers after the configured timeout, with a short message', async () => {
    server = await apiServer([() => 'never-answer']);
    const started = Date.now();
    await expect(
      gatewayFor(server.url, { timeoutMs: 200 }).getServiceAccount(
        'prod',
        'shop',
        'cart',
      ),
    ).rejects.toMatchObject({
      name: 'GatewayError',
      kind: 'unavailable',
      code: 'Timeout',
      message:
        'k8s:get serviceaccounts: Kubernetes API of cluster prod did not answer within 200 ms',
    });
    const elapsed = Date.now() - started;
    expect(elapsed).toBeGreaterThanOrEqual(190);
    expect(elapsed).toBeLessThan(2000);
    expect(server.requests).toHaveLength(1);
  });

  it('times out a call whose AWS credentials never arrive, before any request', async () => {
    server = await apiServer([]);
    const g = new KubernetesClusterGateway(
      [
        {
          name: 'prod',
          url: server.url,
          authProvider: 'aws',
          skipTLSVerify: true,
          accountId: '111122223333',
          region: 'eu-west-1',
        },
      ],
      { getCredentialProvider: () => new Promise(() => {}) },
      { timeoutMs: 200 },
    );
    await expect(
      g.requestServiceAccountToken('prod', 'shop', 'cart', {
        expirationSeconds: 600,
      }),
    ).rejects.toMatchObject({
      code: 'Timeout',
      message:
        'k8s:create serviceaccounts/token: Kubernetes API of cluster prod did not answer within 200 ms',
    });
    expect(server.requests).toEqual([]);
  });

  it('times out each SelfSubjectAccessReview and each page of a list', async () => {
    server = await apiServer([() => 'never-answer']);
    const g = gatewayFor(server.url, { timeoutMs: 200 });
    await expect(
      g.reviewAccess('prod', [
        { verb: 'get', resource: 'serviceaccounts', namespace: 'shop' },
      ]),
    ).rejects.toMatchObject({
      code: 'Timeout',
      message:
        'k8s:create selfsubjectaccessreviews: Kubernetes API of cluster prod did not answer within 200 ms',
    });
    await expect(
      g.listPodsForServiceAccount('prod', 'shop', 'cart'),
    ).rejects.toMatchObject({
      code: 'Timeout',
      message:
        'k8s:list pods: Kubernetes API of cluster prod did not answer within 200 ms',
    });
  });

  it("stops listing pods and requesting tokens when the caller's signal aborts", async () => {
    const listing = new AbortController();
    // The caller gives up once the request is in flight.
    server = await apiServer([
      () => {
        listing.abort();
        return 'never-answer';
      },
    ]);
    const g = gatewayFor(server.url); // default 10 s timeout: the signal must win
    const started = Date.now();
    await expect(
      g.listPodsForServiceAccount('prod', 'shop', 'cart', {
        signal: listing.signal,
      }),
    ).rejects.toMatchObject({
      kind: 'unavailable',
      code: 'Aborted',
      message:
        'k8s:list pods: the call to the Kubernetes API of cluster prod was cancelled',
    });
    expect(Date.now() - started).toBeLessThan(2000);
    await expect(
      g.requestServiceAccountToken('prod', 'shop', 'cart', {
        expirationSeconds: 600,
        signal: AbortSignal.abort(),
      }),
    ).rejects.toMatchObject({ kind: 'unavailable', code: 'Aborted' });
    // The already-aborted token request never went out.
    expect(server.requests.map(r => r.path)).toEqual([
      '/api/v1/namespaces/shop/pods',
    ]);
  });

  it('maps HTTP 401 to access-denied without echoing the bearer token', async () => {
    server = await apiServer([
      () => ({
        status: 401,
        body: status(401, 'Unauthorized', 'Unauthorized'),
      }),
    ]);
    const error = await gatewayFor(server.url)
      .listPodsForServiceAccount('prod', 'shop', 'cart')
      .catch(e => e);
    expect(error).toMatchObject({
      name: 'GatewayError',
      kind: 'access-denied',
      code: '401',
      requestId: 'audit-1',
      message:
        "k8s:list pods: HTTP 401: the API server did not accept Backstage's credentials",
    });
    expect(error.message).not.toContain('sa-token');
  });

  it.each([
    [
      403,
      'access-denied',
      'pods is forbidden: User "system:serviceaccount:backstage:backstage" cannot list resource "pods" in API group "" in the namespace "shop"',
    ],
    [404, 'not-found', 'namespaces "shop" not found'],
    [409, 'conflict', 'the object has been modified'],
    [429, 'throttled', 'Too many requests, please try again later.'],
    [
      500,
      'unavailable',
      'Internal error occurred: etcdserver: request timed out',
    ],
    [
      503,
      'unavailable',
      'the server is currently unable to handle the request',
    ],
  ] as const)(
    'maps HTTP %i to %s with the Status message only',
    async (code, kind, message) => {
      server = await apiServer([
        () => ({ status: code, body: status(code, message) }),
      ]);
      const error = await gatewayFor(server.url)
        .listPodsForServiceAccount('prod', 'shop', 'cart')
        .catch(e => e);
      expect(error).toMatchObject({
        name: 'GatewayError',
        kind,
        code: String(code),
        requestId: 'audit-1',
        message: `k8s:list pods: ${message}`,
      });
    },
  );

  it('cuts an overlong Status message', async () => {
    server = await apiServer([
      () => ({ status: 500, body: status(500, 'x'.repeat(1000)) }),
    ]);
    await expect(
      gatewayFor(server.url).getServiceAccount('prod', 'shop', 'cart'),
    ).rejects.toMatchObject({
      message: `k8s:get serviceaccounts: ${'x'.repeat(300)}…`,
    });
  });

  it('never echoes a body that is not a Status object, nor the bearer token', async () => {
    server = await apiServer([
      () => ({
        status: 502,
        contentType: 'text/html',
        body: '<html><body>upstream proxy sa-token Authorization: Bearer sa-token</body></html>',
      }),
    ]);
    const error = await gatewayFor(server.url)
      .requestServiceAccountToken('prod', 'shop', 'cart', {
        expirationSeconds: 600,
      })
      .catch(e => e);
    expect(error).toMatchObject({
      kind: 'unavailable',
      code: '502',
      message: 'k8s:create serviceaccounts/token: HTTP 502',
    });
    expect(error.cause).toBeUndefined();
  });

  it('names the network failure by its code when the API server cannot be reached', async () => {
    server = await apiServer([]);
    const { url } = server;
    await server.close();
    await expect(
      gatewayFor(url).getServiceAccount('prod', 'shop', 'cart'),
    ).rejects.toMatchObject({
      kind: 'unavailable',
      code: 'ECONNREFUSED',
      message:
        'k8s:get serviceaccounts: Kubernetes API of cluster prod could not be called (ECONNREFUSED)',
    });
  });

  it('signs each cluster with its own account: same EKS name in two accounts gets two tokens', async () => {
    server = await apiServer([
      r => (r.method === 'GET' ? { status: 200, body: sa('1') } : undefined),
    ]);
    const keys: Record<string, string> = {
      '111122223333': 'AKIAFIRSTACCOUNT',
      '444455556666': 'AKIASECONDACCOUNT',
    };
    const credentialsManager = {
      getCredentialProvider: async ({ accountId }: { accountId?: string }) => ({
        sdkCredentialProvider: async () => ({
          accessKeyId: keys[accountId!],
          secretAccessKey: 's',
        }),
      }),
    };
    const cluster = (name: string, accountId: string) => ({
      name,
      url: server.url,
      authProvider: 'aws' as const,
      skipTLSVerify: true,
      eksClusterName: 'prod',
      accountId,
      region: 'eu-west-1',
    });
    const g = new KubernetesClusterGateway(
      [cluster('blue', '111122223333'), cluster('green', '444455556666')],
      credentialsManager,
    );
    await g.getServiceAccount('blue', 'shop', 'cart');
    await g.getServiceAccount('green', 'shop', 'cart');
    const signer = (r: Recorded) =>
      new URL(
        Buffer.from(
          r.authorization!.slice('Bearer k8s-aws-v1.'.length),
          'base64url',
        ).toString(),
      ).searchParams
        .get('X-Amz-Credential')!
        .split('/')[0];
    expect(server.requests.map(signer)).toEqual([
      'AKIAFIRSTACCOUNT',
      'AKIASECONDACCOUNT',
    ]);
  });
});

describe('readKubernetesTimeoutMs', () => {
  it('defaults to 10 s and names the key of a bad value', () => {
    expect(readKubernetesTimeoutMs(new ConfigReader({}))).toBe(10_000);
    expect(
      readKubernetesTimeoutMs(
        new ConfigReader({ irsa: { kubernetes: { timeoutMs: 2500 } } }),
      ),
    ).toBe(2500);
    for (const bad of [0, -5, 1.5]) {
      expect(() =>
        readKubernetesTimeoutMs(
          new ConfigReader({ irsa: { kubernetes: { timeoutMs: bad } } }),
        ),
      ).toThrow(
        `irsa.kubernetes.timeoutMs: must be a positive whole number of milliseconds, got ${bad}`,
      );
    }
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
      accountId: '111122223333',
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
        accountId: '111122223333',
        clusterName: 'prod-eks',
        region: 'eu-west-1',
        credentials,
      }),
    ).toBe(token);
    now = 11 * 60_000;
    await new Promise(resolve => setTimeout(resolve, 1100)); // a new signing second
    expect(
      await provider.token({
        accountId: '111122223333',
        clusterName: 'prod-eks',
        region: 'eu-west-1',
        credentials,
      }),
    ).not.toBe(token);
  });

  it('keys the cache by account and signing role, not only region and cluster name', async () => {
    const provider = new EksTokenProvider(() => 0);
    const signer = (token: string) =>
      new URL(
        Buffer.from(token.slice('k8s-aws-v1.'.length), 'base64url').toString(),
      ).searchParams
        .get('X-Amz-Credential')!
        .split('/')[0];
    const token = (
      accountId: string,
      assumeRole: string | undefined,
      accessKeyId: string,
    ) =>
      provider.token({
        accountId,
        clusterName: 'prod',
        region: 'eu-west-1',
        assumeRole,
        credentials: { accessKeyId, secretAccessKey: 's' },
      });
    const first = await token('111122223333', undefined, 'AKIAFIRST');
    const otherAccount = await token('444455556666', undefined, 'AKIASECOND');
    const otherRole = await token(
      '111122223333',
      'arn:aws:iam::111122223333:role/eks-admin',
      'ASIAADMIN',
    );
    expect([first, otherAccount, otherRole].map(signer)).toEqual([
      'AKIAFIRST',
      'AKIASECOND',
      'ASIAADMIN',
    ]);
    // The same account, cluster and role reuse the cached token.
    expect(await token('111122223333', undefined, 'AKIAROTATED')).toBe(first);
  });
});

describe('KubernetesClusterGateway: pod owners and rollout restart', () => {
  let server: Awaited<ReturnType<typeof apiServer>>;
  afterEach(() => server?.close());

  const ownedPod = (
    name: string,
    owners: Array<{ kind: string; name: string; controller?: boolean }>,
    serviceAccountName = 'cart',
  ) => ({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name,
      namespace: 'shop',
      uid: `uid-${name}`,
      ownerReferences: owners.map(o => ({
        apiVersion: o.kind === 'Job' ? 'batch/v1' : 'apps/v1',
        kind: o.kind,
        name: o.name,
        uid: `uid-${o.name}`,
        ...(o.controller === undefined ? {} : { controller: o.controller }),
      })),
    },
    spec: { serviceAccountName, containers: [{ name: 'app' }] },
    status: { phase: 'Running' },
  });
  const replicaSet = (
    name: string,
    owner?: { kind: string; name: string },
  ) => ({
    apiVersion: 'apps/v1',
    kind: 'ReplicaSet',
    metadata: {
      name,
      namespace: 'shop',
      uid: `uid-${name}`,
      ...(owner
        ? {
            ownerReferences: [
              {
                apiVersion: 'apps/v1',
                kind: owner.kind,
                name: owner.name,
                uid: `uid-${owner.name}`,
                controller: true,
              },
            ],
          }
        : {}),
    },
  });
  const podsAt = '/api/v1/namespaces/shop/pods/';
  const replicaSetsAt = '/apis/apps/v1/namespaces/shop/replicasets/';

  it('resolves a Deployment through its ReplicaSet (read once), a StatefulSet, a DaemonSet, a Job, a bare pod and a gone pod', async () => {
    const pods: Record<string, unknown> = {
      'cart-6c4b9-7d9f8': ownedPod('cart-6c4b9-7d9f8', [
        { kind: 'ReplicaSet', name: 'cart-6c4b9', controller: true },
      ]),
      'cart-6c4b9-k2x4q': ownedPod('cart-6c4b9-k2x4q', [
        { kind: 'ReplicaSet', name: 'cart-6c4b9', controller: true },
      ]),
      'db-0': ownedPod('db-0', [
        { kind: 'StatefulSet', name: 'db', controller: true },
      ]),
      // A non-controller owner is passed over for the controller.
      'agent-x7k2p': ownedPod('agent-x7k2p', [
        { kind: 'ConfigMap', name: 'agent-config', controller: false },
        { kind: 'DaemonSet', name: 'agent', controller: true },
      ]),
      'migrate-5qv8n': ownedPod(
        'migrate-5qv8n',
        [{ kind: 'Job', name: 'migrate', controller: true }],
        'migrator',
      ),
      debug: ownedPod('debug', []),
      'orphan-rs-abcde': ownedPod('orphan-rs-abcde', [
        { kind: 'ReplicaSet', name: 'orphan-rs', controller: true },
      ]),
    };
    server = await apiServer([
      r => {
        if (r.method !== 'GET' || !r.path.startsWith(podsAt)) return undefined;
        const name = r.path.slice(podsAt.length);
        return pods[name]
          ? { status: 200, body: pods[name] }
          : {
              status: 404,
              body: status(404, `pods "${name}" not found`, 'NotFound'),
            };
      },
      r =>
        r.path === `${replicaSetsAt}cart-6c4b9`
          ? {
              status: 200,
              body: replicaSet('cart-6c4b9', {
                kind: 'Deployment',
                name: 'cart',
              }),
            }
          : undefined,
      r =>
        r.path === `${replicaSetsAt}orphan-rs`
          ? { status: 200, body: replicaSet('orphan-rs') }
          : undefined,
    ]);
    const owners = await gatewayFor(server.url).resolvePodOwners(
      'prod',
      'shop',
      [
        'cart-6c4b9-7d9f8',
        'cart-6c4b9-k2x4q',
        'db-0',
        'agent-x7k2p',
        'migrate-5qv8n',
        'debug',
        'orphan-rs-abcde',
        'gone-12345',
      ],
    );
    expect(owners).toEqual([
      {
        pod: 'cart-6c4b9-7d9f8',
        found: true,
        serviceAccountName: 'cart',
        owner: { kind: 'Deployment', name: 'cart' },
      },
      {
        pod: 'cart-6c4b9-k2x4q',
        found: true,
        serviceAccountName: 'cart',
        owner: { kind: 'Deployment', name: 'cart' },
      },
      {
        pod: 'db-0',
        found: true,
        serviceAccountName: 'cart',
        owner: { kind: 'StatefulSet', name: 'db' },
      },
      {
        pod: 'agent-x7k2p',
        found: true,
        serviceAccountName: 'cart',
        owner: { kind: 'DaemonSet', name: 'agent' },
      },
      {
        pod: 'migrate-5qv8n',
        found: true,
        serviceAccountName: 'migrator',
        owner: { kind: 'Job', name: 'migrate' },
      },
      { pod: 'debug', found: true, serviceAccountName: 'cart' },
      {
        pod: 'orphan-rs-abcde',
        found: true,
        serviceAccountName: 'cart',
        owner: { kind: 'ReplicaSet', name: 'orphan-rs' },
      },
      { pod: 'gone-12345', found: false },
    ]);
    expect(
      server.requests
        .filter(r => r.path.startsWith(replicaSetsAt))
        .map(r => `${r.method} ${r.path}`)
        .sort(),
    ).toEqual([
      `GET ${replicaSetsAt}cart-6c4b9`,
      `GET ${replicaSetsAt}orphan-rs`,
    ]);
    expect(server.requests.every(r => r.method === 'GET')).toBe(true);
  });

  it('maps a forbidden ReplicaSet read to access-denied', async () => {
    server = await apiServer([
      r =>
        r.path === `${podsAt}cart-6c4b9-7d9f8`
          ? {
              status: 200,
              body: ownedPod('cart-6c4b9-7d9f8', [
                { kind: 'ReplicaSet', name: 'cart-6c4b9', controller: true },
              ]),
            }
          : undefined,
      r =>
        r.path.startsWith(replicaSetsAt)
          ? {
              status: 403,
              body: status(
                403,
                'replicasets.apps "cart-6c4b9" is forbidden: User "backstage" cannot get resource "replicasets" in API group "apps" in the namespace "shop"',
                'Forbidden',
              ),
            }
          : undefined,
    ]);
    await expect(
      gatewayFor(server.url).resolvePodOwners('prod', 'shop', [
        'cart-6c4b9-7d9f8',
      ]),
    ).rejects.toMatchObject({
      kind: 'access-denied',
      operation: 'k8s:get replicasets',
      code: '403',
      message:
        'k8s:get replicasets: replicasets.apps "cart-6c4b9" is forbidden: User "backstage" cannot get resource "replicasets" in API group "apps" in the namespace "shop"',
    });
  });

  it.each([
    ['Deployment', 'deployments'],
    ['StatefulSet', 'statefulsets'],
    ['DaemonSet', 'daemonsets'],
  ])(
    'restarts a %s by merge-patching the pod template restartedAt annotation',
    async (kind, resource) => {
      jest.useFakeTimers({
        now: new Date('2026-11-27T10:00:00.000Z'),
        doNotFake: ['setImmediate', 'nextTick', 'queueMicrotask'],
      });
      try {
        server = await apiServer([
          r =>
            r.method === 'PATCH' &&
            r.path === `/apis/apps/v1/namespaces/shop/${resource}/cart`
              ? {
                  status: 200,
                  body: {
                    apiVersion: 'apps/v1',
                    kind,
                    metadata: { name: 'cart', namespace: 'shop' },
                  },
                }
              : undefined,
        ]);
        expect(
          await gatewayFor(server.url).restartWorkload('prod', 'shop', {
            kind,
            name: 'cart',
          }),
        ).toEqual({ restartedAt: '2026-11-27T10:00:00.000Z' });
        expect(server.requests).toEqual([
          {
            method: 'PATCH',
            path: `/apis/apps/v1/namespaces/shop/${resource}/cart`,
            query: {},
            contentType: 'application/merge-patch+json',
            authorization: 'Bearer sa-token',
            body: {
              spec: {
                template: {
                  metadata: {
                    annotations: {
                      'kubectl.kubernetes.io/restartedAt':
                        '2026-11-27T10:00:00.000Z',
                    },
                  },
                },
              },
            },
          },
        ]);
      } finally {
        jest.useRealTimers();
      }
    },
  );

  it('refuses a kind rollout restart cannot restart, without calling, and maps 404 and 403', async () => {
    server = await apiServer([
      r =>
        r.path === '/apis/apps/v1/namespaces/shop/deployments/gone'
          ? {
              status: 404,
              body: status(
                404,
                'deployments.apps "gone" not found',
                'NotFound',
              ),
            }
          : undefined,
      r =>
        r.path === '/apis/apps/v1/namespaces/shop/daemonsets/agent'
          ? {
              status: 403,
              body: status(
                403,
                'daemonsets.apps "agent" is forbidden: User "backstage" cannot patch resource "daemonsets" in API group "apps" in the namespace "shop"',
                'Forbidden',
              ),
            }
          : undefined,
    ]);
    const g = gatewayFor(server.url);
    await expect(
      g.restartWorkload('prod', 'shop', { kind: 'Job', name: 'migrate' }),
    ).rejects.toMatchObject({
      kind: 'invalid-input',
      operation: 'k8s:patch jobs',
      message:
        'k8s:patch jobs: kind: a Job cannot be restarted; only a Deployment, StatefulSet or DaemonSet',
    });
    expect(server.requests).toEqual([]);
    await expect(
      g.restartWorkload('prod', 'shop', { kind: 'Deployment', name: 'gone' }),
    ).rejects.toMatchObject({
      kind: 'not-found',
      operation: 'k8s:patch deployments',
      message: 'k8s:patch deployments: deployments.apps "gone" not found',
    });
    await expect(
      g.restartWorkload('prod', 'shop', { kind: 'DaemonSet', name: 'agent' }),
    ).rejects.toMatchObject({
      kind: 'access-denied',
      operation: 'k8s:patch daemonsets',
    });
  });
});
