import {
  apiServer,
  gatewayFor,
  status,
} from './__testUtils__/kubernetesApiServer';
import { ClusterConnection } from './ClusterConnection';

/*
 * What fleet runs and the Pod Identity checks ask of a cluster: whole
 * namespaces page by page, the self-managed agent's DaemonSet, and tokens
 * bound to a pod as the agent receives them.
 */

const serviceAccount = (name: string, resourceVersion: string) => ({
  apiVersion: 'v1',
  kind: 'ServiceAccount',
  metadata: {
    name,
    namespace: 'shop',
    uid: `uid-${name}`,
    resourceVersion,
    creationTimestamp: '2026-11-24T00:00:00Z',
    ...(name === 'cart'
      ? {
          annotations: {
            'eks.amazonaws.com/role-arn': 'arn:aws:iam::1:role/cart',
          },
          labels: { app: 'cart' },
        }
      : {}),
  },
});

const list = (kind: string, items: unknown[], next?: string) => ({
  status: 200,
  body: {
    kind,
    apiVersion: 'v1',
    metadata: { resourceVersion: '900', ...(next ? { continue: next } : {}) },
    items,
  },
});

const agent = {
  apiVersion: 'apps/v1',
  kind: 'DaemonSet',
  metadata: {
    name: 'eks-pod-identity-agent',
    namespace: 'kube-system',
    uid: 'uid-agent',
    resourceVersion: '812',
  },
  spec: {
    selector: {
      matchLabels: { 'app.kubernetes.io/name': 'eks-pod-identity-agent' },
    },
    template: {
      metadata: {
        labels: { 'app.kubernetes.io/name': 'eks-pod-identity-agent' },
      },
      spec: {
        initContainers: [
          {
            name: 'eks-pod-identity-agent-init',
            image:
              '602401143452.dkr.ecr.eu-west-1.amazonaws.com/eks/eks-pod-identity-agent:v0.1.29',
          },
        ],
        containers: [
          {
            name: 'eks-pod-identity-agent',
            image:
              '602401143452.dkr.ecr.eu-west-1.amazonaws.com/eks/eks-pod-identity-agent:v0.1.30',
          },
        ],
      },
    },
  },
  status: {
    currentNumberScheduled: 3,
    desiredNumberScheduled: 3,
    numberAvailable: 2,
    numberMisscheduled: 0,
    numberReady: 2,
    observedGeneration: 1,
    updatedNumberScheduled: 3,
  },
};

describe('KubernetesClusterGateway: namespace lists, the Pod Identity agent, pod-bound tokens', () => {
  let server: Awaited<ReturnType<typeof apiServer>>;
  afterEach(() => server?.close());

  it('lists every ServiceAccount of a namespace, 500 a page, following continue', async () => {
    server = await apiServer([
      r =>
        r.path === '/api/v1/namespaces/shop/serviceaccounts' &&
        !r.query.continue
          ? list(
              'ServiceAccountList',
              [serviceAccount('cart', '7'), serviceAccount('default', '3')],
              'c1',
            )
          : undefined,
      r =>
        r.path === '/api/v1/namespaces/shop/serviceaccounts'
          ? list('ServiceAccountList', [serviceAccount('orders', '9')])
          : undefined,
    ]);
    const accounts = await gatewayFor(server.url).listServiceAccounts(
      'prod',
      'shop',
    );
    expect(accounts).toEqual([
      {
        namespace: 'shop',
        name: 'cart',
        uid: 'uid-cart',
        resourceVersion: '7',
        creationTimestamp: '2026-11-24T00:00:00.000Z',
        annotations: {
          'eks.amazonaws.com/role-arn': 'arn:aws:iam::1:role/cart',
        },
        labels: { app: 'cart' },
      },
      {
        namespace: 'shop',
        name: 'default',
        uid: 'uid-default',
        resourceVersion: '3',
        creationTimestamp: '2026-11-24T00:00:00.000Z',
        annotations: {},
        labels: {},
      },
      {
        namespace: 'shop',
        name: 'orders',
        uid: 'uid-orders',
        resourceVersion: '9',
        creationTimestamp: '2026-11-24T00:00:00.000Z',
        annotations: {},
        labels: {},
      },
    ]);
    expect(
      server.requests.map(r => [r.method, r.path, r.query, r.authorization]),
    ).toEqual([
      [
        'GET',
        '/api/v1/namespaces/shop/serviceaccounts',
        { limit: '500' },
        'Bearer sa-token',
      ],
      [
        'GET',
        '/api/v1/namespaces/shop/serviceaccounts',
        { limit: '500', continue: 'c1' },
        'Bearer sa-token',
      ],
    ]);
  });

  it('lists every pod of a namespace without a field selector, 500 a page', async () => {
    const pod = (name: string, serviceAccountName: string) => ({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name, namespace: 'shop', uid: `uid-${name}` },
      spec: { serviceAccountName, containers: [{ name: 'app' }] },
      status: { phase: 'Running' },
    });
    server = await apiServer([
      r =>
        r.path === '/api/v1/namespaces/shop/pods' && !r.query.continue
          ? list('PodList', [pod('cart-1', 'cart')], 'p1')
          : undefined,
      r =>
        r.path === '/api/v1/namespaces/shop/pods' && r.query.continue === 'p1'
          ? list('PodList', [pod('orders-1', 'orders')], 'p2')
          : undefined,
      r =>
        r.path === '/api/v1/namespaces/shop/pods'
          ? list('PodList', [pod('batch-1', 'default')])
          : undefined,
    ]);
    const pods = await gatewayFor(server.url).listPods('prod', 'shop');
    expect(pods.map(p => [p.name, p.uid, p.serviceAccountName])).toEqual([
      ['cart-1', 'uid-cart-1', 'cart'],
      ['orders-1', 'uid-orders-1', 'orders'],
      ['batch-1', 'uid-batch-1', 'default'],
    ]);
    expect(server.requests.map(r => r.query)).toEqual([
      { limit: '500' },
      { limit: '500', continue: 'p1' },
      { limit: '500', continue: 'p2' },
    ]);
  });

  it('maps a forbidden list to access-denied and fails the whole list when a later page fails', async () => {
    server = await apiServer([
      r =>
        r.path === '/api/v1/namespaces/secret/serviceaccounts'
          ? {
              status: 403,
              body: status(
                403,
                'serviceaccounts is forbidden: User "backstage" cannot list resource "serviceaccounts" in API group "" in the namespace "secret"',
                'Forbidden',
              ),
            }
          : undefined,
      r =>
        r.path === '/api/v1/namespaces/shop/pods' && !r.query.continue
          ? list('PodList', [], 'stale')
          : undefined,
      r =>
        r.path === '/api/v1/namespaces/shop/pods'
          ? {
              status: 410,
              body: status(
                410,
                'The provided continue parameter is too old to display a consistent list result.',
                'Expired',
              ),
            }
          : undefined,
    ]);
    const g = gatewayFor(server.url);
    await expect(g.listServiceAccounts('prod', 'secret')).rejects.toMatchObject(
      {
        kind: 'access-denied',
        code: '403',
        operation: 'k8s:list serviceaccounts',
        requestId: 'audit-1',
        message:
          'k8s:list serviceaccounts: serviceaccounts is forbidden: User "backstage" cannot list resource "serviceaccounts" in API group "" in the namespace "secret"',
      },
    );
    await expect(g.listPods('prod', 'shop')).rejects.toMatchObject({
      kind: 'unavailable',
      code: '410',
      operation: 'k8s:list pods',
    });
  });

  it("bounds each page by the timeout and stops at the caller's signal", async () => {
    const cancel = new AbortController();
    server = await apiServer([
      r =>
        r.path === '/api/v1/namespaces/slow/serviceaccounts' &&
        !r.query.continue
          ? list('ServiceAccountList', [serviceAccount('cart', '1')], 'c1')
          : undefined,
      r => {
        if (r.path === '/api/v1/namespaces/gone/pods') cancel.abort();
        return 'never-answer';
      },
    ]);
    // The second page never answers: the timeout is per page.
    await expect(
      gatewayFor(server.url, { timeoutMs: 200 }).listServiceAccounts(
        'prod',
        'slow',
      ),
    ).rejects.toMatchObject({
      kind: 'unavailable',
      code: 'Timeout',
      message:
        'k8s:list serviceaccounts: Kubernetes API of cluster prod did not answer within 200 ms',
    });
    await expect(
      gatewayFor(server.url).listPods('prod', 'gone', {
        signal: cancel.signal,
      }),
    ).rejects.toMatchObject({
      kind: 'unavailable',
      code: 'Aborted',
      message:
        'k8s:list pods: the call to the Kubernetes API of cluster prod was cancelled',
    });
    await expect(
      gatewayFor(server.url).listServiceAccounts('prod', 'shop', {
        signal: AbortSignal.abort(),
      }),
    ).rejects.toMatchObject({ code: 'Aborted' });
    // The already-aborted list never went out.
    expect(server.requests.map(r => [r.path, r.query.continue])).toEqual([
      ['/api/v1/namespaces/slow/serviceaccounts', undefined],
      ['/api/v1/namespaces/slow/serviceaccounts', 'c1'],
      ['/api/v1/namespaces/gone/pods', undefined],
    ]);
  });

  it("reads the Pod Identity agent's DaemonSet: rollout and the first container's image; 404 is undefined", async () => {
    const fresh = {
      ...agent,
      metadata: { ...agent.metadata, name: 'fresh' },
      status: undefined,
    };
    server = await apiServer([
      r =>
        r.path ===
        '/apis/apps/v1/namespaces/kube-system/daemonsets/eks-pod-identity-agent'
          ? { status: 200, body: agent }
          : undefined,
      r =>
        r.path === '/apis/apps/v1/namespaces/kube-system/daemonsets/fresh'
          ? { status: 200, body: fresh }
          : undefined,
      r =>
        r.path === '/apis/apps/v1/namespaces/kube-system/daemonsets/absent'
          ? {
              status: 404,
              body: status(
                404,
                'daemonsets.apps "absent" not found',
                'NotFound',
              ),
            }
          : undefined,
      r =>
        r.path === '/apis/apps/v1/namespaces/kube-system/daemonsets/hidden'
          ? {
              status: 403,
              body: status(
                403,
                'daemonsets.apps "hidden" is forbidden: User "backstage" cannot get resource "daemonsets" in API group "apps" in the namespace "kube-system"',
                'Forbidden',
              ),
            }
          : undefined,
    ]);
    const g = gatewayFor(server.url);
    expect(
      await g.getDaemonSet('prod', 'kube-system', 'eks-pod-identity-agent'),
    ).toEqual({
      namespace: 'kube-system',
      name: 'eks-pod-identity-agent',
      desiredNumberScheduled: 3,
      numberReady: 2,
      image:
        '602401143452.dkr.ecr.eu-west-1.amazonaws.com/eks/eks-pod-identity-agent:v0.1.30',
    });
    // Before the controller has counted anything.
    expect(await g.getDaemonSet('prod', 'kube-system', 'fresh')).toEqual({
      namespace: 'kube-system',
      name: 'fresh',
      desiredNumberScheduled: 0,
      numberReady: 0,
      image:
        '602401143452.dkr.ecr.eu-west-1.amazonaws.com/eks/eks-pod-identity-agent:v0.1.30',
    });
    expect(
      await g.getDaemonSet('prod', 'kube-system', 'absent'),
    ).toBeUndefined();
    await expect(
      g.getDaemonSet('prod', 'kube-system', 'hidden'),
    ).rejects.toMatchObject({
      kind: 'access-denied',
      code: '403',
      operation: 'k8s:get daemonsets',
    });
    expect(server.requests.map(r => [r.method, r.query])).toEqual([
      ['GET', {}],
      ['GET', {}],
      ['GET', {}],
      ['GET', {}],
    ]);
  });

  it('binds a token to a pod with boundObjectRef, and maps what the API server checks of that pod', async () => {
    const bound = (reason: string, code: number, message: string) => ({
      status: code,
      body: status(code, message, reason),
    });
    server = await apiServer([
      r => {
        if (r.path !== '/api/v1/namespaces/shop/serviceaccounts/cart/token')
          return undefined;
        const ref = r.body.spec.boundObjectRef ?? {};
        if (ref.name === 'gone')
          return bound('NotFound', 404, 'pods "gone" not found');
        if (ref.name === 'other')
          return bound(
            'BadRequest',
            400,
            'cannot bind token for serviceaccount "cart" to pod running with different serviceaccount name.',
          );
        if (ref.uid !== 'uid-cart-1')
          return bound(
            'Conflict',
            409,
            `Operation cannot be fulfilled on Pod "cart-1": the UID in the bound object reference (${ref.uid}) does not match the UID in record. The object might have been deleted and then recreated`,
          );
        return {
          status: 201,
          body: {
            kind: 'TokenRequest',
            apiVersion: 'authentication.k8s.io/v1',
            metadata: { name: 'cart', namespace: 'shop' },
            spec: r.body.spec,
            status: {
              token: 'pod-bound-jwt',
              expirationTimestamp: '2026-11-24T00:10:00Z',
            },
          },
        };
      },
    ]);
    const g = gatewayFor(server.url);
    const request = (name: string, uid: string) =>
      g.requestServiceAccountToken('prod', 'shop', 'cart', {
        audience: 'pods.eks.amazonaws.com',
        expirationSeconds: 600,
        boundPod: { name, uid },
      });
    expect(await request('cart-1', 'uid-cart-1')).toEqual({
      token: 'pod-bound-jwt',
      expirationTimestamp: '2026-11-24T00:10:00.000Z',
    });
    expect(server.requests[0]).toMatchObject({
      method: 'POST',
      path: '/api/v1/namespaces/shop/serviceaccounts/cart/token',
      query: {},
    });
    expect(server.requests[0].body).toEqual({
      apiVersion: 'authentication.k8s.io/v1',
      kind: 'TokenRequest',
      spec: {
        audiences: ['pods.eks.amazonaws.com'],
        expirationSeconds: 600,
        boundObjectRef: {
          kind: 'Pod',
          apiVersion: 'v1',
          name: 'cart-1',
          uid: 'uid-cart-1',
        },
      },
    });
    await expect(request('gone', 'uid-gone')).rejects.toMatchObject({
      kind: 'not-found',
      code: '404',
      message: 'k8s:create serviceaccounts/token: pods "gone" not found',
    });
    await expect(request('other', 'uid-other')).rejects.toMatchObject({
      kind: 'invalid-input',
      code: '400',
    });
    await expect(request('cart-1', 'uid-replaced')).rejects.toMatchObject({
      kind: 'conflict',
      code: '409',
    });
  });

  it('refuses a bound pod without a name or uid, naming the field, before any request', async () => {
    server = await apiServer([]);
    const g = gatewayFor(server.url);
    await expect(
      g.requestServiceAccountToken('prod', 'shop', 'cart', {
        expirationSeconds: 600,
        boundPod: { name: 'cart-1', uid: '' },
      }),
    ).rejects.toMatchObject({
      kind: 'invalid-input',
      message:
        'k8s:create serviceaccounts/token: boundPod.uid: must not be empty',
    });
    await expect(
      g.requestServiceAccountToken('prod', 'shop', 'cart', {
        expirationSeconds: 600,
        boundPod: { name: '', uid: 'uid-cart-1' },
      }),
    ).rejects.toMatchObject({
      kind: 'invalid-input',
      message:
        'k8s:create serviceaccounts/token: boundPod.name: must not be empty',
    });
    expect(server.requests).toEqual([]);
  });

  it('refuses an operation KUBERNETES_REQUESTS does not declare, before any request', async () => {
    server = await apiServer([]);
    const connection = new ClusterConnection(
      [
        {
          name: 'prod',
          url: server.url,
          authProvider: 'serviceAccount',
          serviceAccountToken: 'sa-token',
          skipTLSVerify: true,
        },
      ],
      undefined,
      1000,
    );
    const send = jest.fn();
    await expect(
      connection.call('prod', 'k8s:delete pods', send),
    ).rejects.toThrow(
      "k8s:delete pods: not in KUBERNETES_REQUESTS, so the README's RBAC does not grant it",
    );
    expect(send).not.toHaveBeenCalled();
    expect(server.requests).toEqual([]);
  });
});
