import {
  mockCredentials,
  mockServices,
  startTestBackend,
} from '@backstage/backend-test-utils';
import {
  createServiceFactory,
  type BackendFeature,
  type BackstageCredentials,
} from '@backstage/backend-plugin-api';
import type { Entity } from '@backstage/catalog-model';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import {
  AuthorizeResult,
  type EvaluatePermissionRequest,
} from '@backstage/plugin-permission-common';
import { irsaServiceRef } from '@backstage-irsa/plugin-irsa-node';
import {
  createSandboxIrsaService,
  SANDBOX_SCENARIOS,
} from '@backstage-irsa/plugin-irsa-sandbox';
import request from 'supertest';
import irsaPlugin from '.';

const scenario = (id: string) => SANDBOX_SCENARIOS.find(s => s.id === id)!;
const healthy = scenario('healthy');
const stale = scenario('pods-before-annotation');
const component = (
  name: string,
  annotations: Record<string, string>,
): Entity => ({
  apiVersion: 'backstage.io/v1alpha1',
  kind: 'Component',
  metadata: { name, namespace: 'default', annotations },
  spec: { type: 'service', owner: 'guests', lifecycle: 'production' },
});
const annotated = (s: typeof healthy) =>
  component(s.serviceAccount, {
    'irsa.dev/cluster': s.cluster,
    'irsa.dev/service-account': `${s.namespace}/${s.serviceAccount}`,
    'irsa.dev/role-arn': s.roleArn,
  });
const entities = [annotated(healthy), annotated(stale), component('plain', {})];

/** The decision per permission name (ALLOW when not listed). */
type Decisions = Record<string, AuthorizeResult.ALLOW | AuthorizeResult.DENY>;

async function start(options?: {
  decisions?: Decisions;
  cooldownSeconds?: number;
  credentials?: BackstageCredentials;
  features?: BackendFeature[];
}) {
  const { service, sandbox } = await createSandboxIrsaService();
  const permissions = mockServices.permissions.mock({
    authorize: jest.fn(async (requests: EvaluatePermissionRequest[]) =>
      requests.map(r => ({
        result:
          options?.decisions?.[r.permission.name] ?? AuthorizeResult.ALLOW,
      })),
    ),
  });
  const { server } = await startTestBackend({
    features: [
      ...(options?.features ?? []),
      irsaPlugin,
      catalogServiceMock.factory({ entities }),
      createServiceFactory({
        service: irsaServiceRef,
        deps: {},
        factory: () => service,
      }),
      permissions.factory,
      mockServices.httpAuth.factory({
        defaultCredentials: options?.credentials ?? mockCredentials.none(),
      }),
      mockServices.rootConfig.factory({
        data: {
          irsa: {
            verification: { cooldownSeconds: options?.cooldownSeconds ?? 30 },
          },
          events: { useEventBus: 'never' },
        },
      }),
    ],
  });
  return { server, sandbox };
}

const base = '/api/irsa/v1/entities/component/default';
const restartUrl = `${base}/${stale.serviceAccount}/restart`;
const user = mockCredentials.user.header();
const service = mockCredentials.service.header();
const STALE_PODS = ['billing-api-6c4b9-7d9f8', 'billing-api-6c4b9-k2x4q'];

const errorBody = (
  method: string,
  url: string,
  statusCode: number,
  name: string,
  message: string,
) => ({
  error: { name, message },
  request: { method, url: url.replace(/^\/api\/irsa/, '') },
  response: { statusCode },
});

/** Verifies the entity so its latest report exists. */
async function verify(
  server: Awaited<ReturnType<typeof start>>['server'],
  name: string,
) {
  const res = await request(server)
    .post(`${base}/${name}/verify`)
    .set('Authorization', user);
  expect(res.status).toBe(200);
  return res.body.report;
}

const podInjection = (report: {
  checks: Array<{ id: string; status: string; message: string }>;
}) => report.checks.find(c => c.id === 'pod-injection')!;

describe('POST /v1/entities/:kind/:namespace/:name/restart', () => {
  it('200: restarts the Deployment owning the restart-needed pods and verifies again, even inside the cooldown', async () => {
    const { server, sandbox } = await start({ cooldownSeconds: 600 });
    const before = await verify(server, stale.serviceAccount);
    expect(podInjection(before).status).toBe('fail');
    const startedAt = new Date().toISOString();

    const res = await request(server)
      .post(restartUrl)
      .set('Authorization', user);

    expect(res.status).toBe(200);
    const { restartedAt } = res.body.restarted[0];
    expect(restartedAt >= startedAt).toBe(true);
    expect(restartedAt <= new Date().toISOString()).toBe(true);
    expect(res.body).toMatchObject({
      restarted: [
        {
          kind: 'Deployment',
          name: 'billing-api',
          pods: STALE_PODS,
          restartedAt,
        },
      ],
      failed: [],
      skipped: [],
    });
    expect(res.body.restarted).toHaveLength(1);
    const report = res.body.verification.report.report;
    expect(podInjection(report)).toEqual(
      expect.objectContaining({
        status: 'pass',
        message: 'All 2 pods have AWS_ROLE_ARN and AWS_WEB_IDENTITY_TOKEN_FILE',
      }),
    );
    expect(report.trigger).toBe('manual');
    expect(report.verifiedAt > before.verifiedAt).toBe(true);
    const pods = await sandbox.kubernetes.listPodsForServiceAccount(
      stale.cluster,
      stale.namespace,
      stale.serviceAccount,
    );
    expect(pods.some(p => STALE_PODS.includes(p.name))).toBe(false);
    // The stored latest report is the one after the restart.
    const stored = await request(server)
      .get(`${base}/${stale.serviceAccount}`)
      .set('Authorization', user);
    expect(stored.body.report.verifiedAt).toBe(report.verifiedAt);
  });

  it('200: restarts only the owners named, and names the pods no restart replaces', async () => {
    const { server, sandbox } = await start();
    const k8s = sandbox.kubernetes;
    const { cluster, namespace, serviceAccount, roleArn } = stale;
    // Pods started while the ServiceAccount had no role: a StatefulSet's and a bare one.
    await k8s.patchServiceAccountAnnotations(
      cluster,
      namespace,
      serviceAccount,
      {
        'eks.amazonaws.com/role-arn': null,
      },
    );
    sandbox.controls.createPod(cluster, namespace, {
      name: 'billing-ledger-0',
      serviceAccountName: serviceAccount,
      owner: { kind: 'StatefulSet', name: 'billing-ledger' },
    });
    sandbox.controls.createPod(cluster, namespace, {
      name: 'billing-debug',
      serviceAccountName: serviceAccount,
      owner: null,
    });
    await k8s.patchServiceAccountAnnotations(
      cluster,
      namespace,
      serviceAccount,
      {
        'eks.amazonaws.com/role-arn': roleArn,
      },
    );
    await verify(server, serviceAccount);

    const res = await request(server)
      .post(restartUrl)
      .set('Authorization', user)
      .send({ owners: ['StatefulSet/billing-ledger'] });

    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      restarted: [
        {
          kind: 'StatefulSet',
          name: 'billing-ledger',
          pods: ['billing-ledger-0'],
        },
      ],
      failed: [],
      skipped: [
        {
          pod: 'billing-debug',
          reason:
            'a bare pod: no controller recreates it; delete it and start it again',
        },
      ],
    });
    expect(res.body.restarted).toHaveLength(1);
    // The Deployment was not chosen: its pods still need a restart.
    expect(podInjection(res.body.verification.report.report).message).toBe(
      `Restart needed: ${STALE_PODS.join(', ')}, billing-debug started before the ServiceAccount was annotated and have no (or an old) AWS_ROLE_ARN`,
    );
  });

  it.each([
    [
      { force: true },
      'body: only "owners" may be given; the entity is named by the path',
    ],
    [
      { owners: 'deployment/billing-api' },
      'owners: must be a non-empty list of workloads such as "deployment/payments-api"',
    ],
    [
      { owners: [] },
      'owners: must be a non-empty list of workloads such as "deployment/payments-api"',
    ],
    [
      { owners: ['billing-api'] },
      'owners: must be a non-empty list of workloads such as "deployment/payments-api"',
    ],
  ])('400: a bad body %j, before anything is read', async (body, message) => {
    const { server, sandbox } = await start();
    sandbox.controls.resetCalls();
    const res = await request(server)
      .post(restartUrl)
      .set('Authorization', user)
      .send(body);
    expect(res.status).toBe(400);
    expect(res.body).toEqual(
      errorBody('POST', restartUrl, 400, 'InputError', message),
    );
    expect(sandbox.controls.calls).toEqual([]);
  });

  it('400: an owner that is not one of the restart-needed pods, restarting nothing', async () => {
    const { server, sandbox } = await start();
    await verify(server, stale.serviceAccount);
    sandbox.controls.resetCalls();
    const res = await request(server)
      .post(restartUrl)
      .set('Authorization', user)
      .send({ owners: ['deployment/payments-api'] });
    expect(res.status).toBe(400);
    expect(res.body).toEqual(
      errorBody(
        'POST',
        restartUrl,
        400,
        'InputError',
        'owners[0]: "deployment/payments-api" is not a workload of the pods that need a restart (restartable: deployment/billing-api)',
      ),
    );
    expect(sandbox.controls.calls.filter(c => c.write)).toEqual([]);
  });

  it('401: no credentials', async () => {
    const { server } = await start();
    const res = await request(server).post(restartUrl);
    expect(res.status).toBe(401);
    expect(res.body.error.name).toBe('AuthenticationError');
  });

  it('403: irsa.workload.restart denied (verify allowed), and a service principal not naming it', async () => {
    const { server, sandbox } = await start({
      decisions: { 'irsa.workload.restart': AuthorizeResult.DENY },
    });
    await verify(server, stale.serviceAccount);
    sandbox.controls.resetCalls();
    const denied = errorBody(
      'POST',
      restartUrl,
      403,
      'NotAllowedError',
      'You are not allowed to restart the workloads of component:default/billing-api',
    );
    const res = await request(server)
      .post(restartUrl)
      .set('Authorization', user);
    expect(res.status).toBe(403);
    expect(res.body).toEqual(denied);
    const byService = await request((await start()).server)
      .post(restartUrl)
      .set('Authorization', service);
    expect(byService.status).toBe(403);
    expect(byService.body).toEqual(denied);
    expect(sandbox.controls.calls).toEqual([]);
  });

  it('404: unknown entity, entity without the annotations', async () => {
    const { server } = await start();
    const unknown = await request(server)
      .post(`${base}/nope/restart`)
      .set('Authorization', user);
    expect(unknown.status).toBe(404);
    expect(unknown.body).toEqual(
      errorBody(
        'POST',
        `${base}/nope/restart`,
        404,
        'NotFoundError',
        'Entity component:default/nope was not found in the catalog',
      ),
    );
    const plain = await request(server)
      .post(`${base}/plain/restart`)
      .set('Authorization', user);
    expect(plain.status).toBe(404);
    expect(plain.body.error.message).toBe(
      'Entity component:default/plain has no irsa.dev/service-account annotation, so it has no IAM report',
    );
  });

  it('409: no report yet; a report that shows no restart needed; pods already replaced', async () => {
    const { server, sandbox } = await start();
    const none = await request(server)
      .post(restartUrl)
      .set('Authorization', user);
    expect(none.status).toBe(409);
    expect(none.body).toEqual(
      errorBody(
        'POST',
        restartUrl,
        409,
        'ConflictError',
        'component:default/billing-api has no IAM report yet; verify it before restarting pods',
      ),
    );

    await verify(server, healthy.serviceAccount);
    const healthyUrl = `${base}/${healthy.serviceAccount}/restart`;
    const fine = await request(server)
      .post(healthyUrl)
      .set('Authorization', user);
    expect(fine.status).toBe(409);
    expect(fine.body).toEqual(
      errorBody(
        'POST',
        healthyUrl,
        409,
        'ConflictError',
        'The latest report of component:default/payments-api shows no pods that need a restart (pod-injection: pass)',
      ),
    );

    await verify(server, stale.serviceAccount);
    sandbox.controls.restartPods(
      stale.cluster,
      stale.namespace,
      stale.serviceAccount,
    );
    const gone = await request(server)
      .post(restartUrl)
      .set('Authorization', user);
    expect(gone.status).toBe(409);
    expect(gone.body.error.message).toBe(
      `None of the pods that need a restart can be restarted from the portal: ${STALE_PODS.map(
        p =>
          `${p} no longer exists (already replaced); verify again to see its successor`,
      ).join('; ')}`,
    );
  });

  it('503: the cluster refuses the patch (RBAC), naming the rights without its message', async () => {
    const { server, sandbox } = await start();
    await verify(server, stale.serviceAccount);
    sandbox.controls.denyAccess(stale.cluster, {
      verb: 'patch',
      resource: 'deployments',
      group: 'apps',
    });
    const res = await request(server)
      .post(restartUrl)
      .set('Authorization', user);
    expect(res.status).toBe(503);
    expect(res.body).toEqual(
      errorBody(
        'POST',
        restartUrl,
        503,
        'ServiceUnavailableError',
        "No workload was restarted: deployment/billing-api: access denied to Backstage's identity (403); Backstage's identity needs patch on apps/deployments, statefulsets and daemonsets (README)",
      ),
    );
  });

  it('audits the restart with what it restarted, and a refusal as a failure', async () => {
    const event = { success: jest.fn(), fail: jest.fn() };
    const auditor = mockServices.auditor.mock({
      createEvent: jest.fn(async () => event),
    });
    const { server } = await start({ features: [auditor.factory] });
    await verify(server, stale.serviceAccount);
    await request(server).post(restartUrl).set('Authorization', user);
    expect(auditor.createEvent).toHaveBeenCalledWith(
      expect.objectContaining({
        eventId: 'workload-restart',
        severityLevel: 'medium',
        meta: { entityRef: 'component:default/billing-api' },
      }),
    );
    expect(event.success).toHaveBeenCalledWith({
      meta: {
        restarted: ['Deployment/billing-api'],
        failed: [],
        skippedPods: [],
      },
    });
    await request(server)
      .post(`${base}/${healthy.serviceAccount}/restart`)
      .set('Authorization', user);
    expect(event.fail).toHaveBeenCalledWith({
      error: expect.objectContaining({ name: 'ConflictError' }),
    });
  });
});

describe('GET /v1/clusters', () => {
  it('200: every configured cluster with its account, region and mechanism', async () => {
    const { server } = await start();
    const res = await request(server)
      .get('/api/irsa/v1/clusters')
      .set('Authorization', user);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      items: [
        {
          name: 'sandbox',
          accountId: '111122223333',
          region: 'us-east-1',
          defaultMechanism: 'irsa',
        },
        {
          name: 'sandbox-legacy',
          accountId: '111122223333',
          region: 'us-west-2',
          defaultMechanism: 'irsa',
        },
      ],
    });
    const byService = await request(server)
      .get('/api/irsa/v1/clusters')
      .set('Authorization', service);
    expect(byService.status).toBe(200);
  });

  it('401: no credentials', async () => {
    const { server } = await start();
    const res = await request(server).get('/api/irsa/v1/clusters');
    expect(res.status).toBe(401);
  });
});

describe('GET /v1/clusters/:cluster/namespaces/:namespace/serviceaccounts/:name', () => {
  const url = (cluster: string, namespace: string, name: string) =>
    `/api/irsa/v1/clusters/${cluster}/namespaces/${namespace}/serviceaccounts/${name}`;

  it('200: an existing ServiceAccount, its owner and role; a free name; a refused namespace', async () => {
    const { server } = await start();
    const owned = await request(server)
      .get(url('sandbox', 'payments', 'payments-api'))
      .set('Authorization', user);
    expect(owned.status).toBe(200);
    expect(owned.body).toEqual({
      exists: true,
      ownedBy: 'component:default/payments-api',
      managedByUs: true,
      roleArn: healthy.roleArn,
      namespaceAllowed: true,
    });
    const free = await request(server)
      .get(url('sandbox', 'payments', 'new-service'))
      .set('Authorization', user);
    expect(free.body).toEqual({
      exists: false,
      managedByUs: false,
      namespaceAllowed: true,
    });
    const system = await request(server)
      .get(url('sandbox', 'kube-system', 'new-service'))
      .set('Authorization', user);
    expect(system.body).toEqual({
      exists: false,
      managedByUs: false,
      namespaceAllowed: false,
      reason:
        'namespace: kube-system belongs to the cluster itself and is refused (list it exactly under irsa.clusters[sandbox].namespaces.allow to open it)',
    });
  });

  it.each([
    [
      url('nowhere', 'payments', 'x'),
      'cluster: "nowhere" is not configured under irsa.clusters (configured: sandbox, sandbox-legacy)',
    ],
    [
      url('sandbox', 'Payments', 'x'),
      'namespace: must be a DNS-1123 label (lowercase letters, digits and "-", at most 63)',
    ],
    [
      url('sandbox', 'payments', 'Bad_Name'),
      'name: must be a DNS-1123 subdomain (lowercase letters, digits, "-" and ".")',
    ],
  ])('400: %s', async (path, message) => {
    const { server } = await start();
    const res = await request(server).get(path).set('Authorization', user);
    expect(res.status).toBe(400);
    expect(res.body).toEqual(
      errorBody('GET', path, 400, 'InputError', message),
    );
  });

  it('401: no credentials; 403: without irsa.role.create', async () => {
    const path = url('sandbox', 'payments', 'payments-api');
    const anonymous = await request((await start()).server).get(path);
    expect(anonymous.status).toBe(401);
    const { server } = await start({
      decisions: { 'irsa.role.create': AuthorizeResult.DENY },
    });
    const res = await request(server).get(path).set('Authorization', user);
    expect(res.status).toBe(403);
    expect(res.body).toEqual(
      errorBody(
        'GET',
        path,
        403,
        'NotAllowedError',
        'You are not allowed to check ServiceAccounts (permission irsa.role.create)',
      ),
    );
  });

  it('503: the cluster refuses the read, without its message', async () => {
    const { server, sandbox } = await start();
    sandbox.controls.denyAccess('sandbox', {
      verb: 'get',
      resource: 'serviceaccounts',
    });
    const path = url('sandbox', 'payments', 'payments-api');
    const res = await request(server).get(path).set('Authorization', user);
    expect(res.status).toBe(503);
    expect(res.body).toEqual(
      errorBody(
        'GET',
        path,
        503,
        'ServiceUnavailableError',
        'Could not read ServiceAccount payments/payments-api on cluster sandbox (access-denied)',
      ),
    );
  });
});
