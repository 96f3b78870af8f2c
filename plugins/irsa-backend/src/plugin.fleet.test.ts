import {
  mockCredentials,
  mockServices,
  startTestBackend,
} from '@backstage/backend-test-utils';
import {
  coreServices,
  createServiceFactory,
  type PermissionsService,
} from '@backstage/backend-plugin-api';
import type { Entity } from '@backstage/catalog-model';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import {
  AuthorizeResult,
  type AuthorizePermissionRequest,
} from '@backstage/plugin-permission-common';
import { irsaServiceRef } from '@backstage-irsa/plugin-irsa-node';
import {
  createSandboxIrsaService,
  SANDBOX_SCENARIOS,
} from '@backstage-irsa/plugin-irsa-sandbox';
import request from 'supertest';
import irsaPlugin from '.';

const scenario = (id: string) => SANDBOX_SCENARIOS.find(s => s.id === id)!;

/** A component annotated for a sandbox scenario, owned by `owner`. */
function component(id: string, owner: string, title?: string): Entity {
  const s = scenario(id);
  return {
    apiVersion: 'backstage.io/v1alpha1',
    kind: 'Component',
    metadata: {
      name: s.serviceAccount,
      namespace: 'default',
      ...(title ? { title } : {}),
      annotations: {
        'irsa.dev/cluster': s.cluster,
        'irsa.dev/service-account': `${s.namespace}/${s.serviceAccount}`,
        'irsa.dev/role-arn': s.roleArn,
      },
    },
    spec: { type: 'service', owner, lifecycle: 'production' },
  };
}

const healthy = component('healthy', 'payments', 'Payments API');
const deleted = component('role-deleted', 'group:default/inventory');
const oidc = component('oidc-missing', 'payments');
const plain: Entity = {
  apiVersion: 'backstage.io/v1alpha1',
  kind: 'Component',
  metadata: { name: 'plain', namespace: 'default' },
  spec: { type: 'service', owner: 'payments', lifecycle: 'production' },
};
const entities = [healthy, deleted, oidc, plain];

/**
 * irsa.entity.read is conditional, and the framework's per-entity decision
 * allows only these refs; irsa.fleet.read follows `fleet`.
 */
function conditionalPermissions(
  allowedRefs: string[],
): PermissionsService & { asked: string[][] } {
  const asked: string[][] = [];
  return {
    asked,
    async authorizeConditional(requests) {
      return requests.map(() => ({
        result: AuthorizeResult.CONDITIONAL,
        pluginId: 'catalog',
        resourceType: 'catalog-entity',
        conditions: {
          rule: 'IS_ENTITY_OWNER',
          resourceType: 'catalog-entity',
          params: { claims: ['group:default/payments'] },
        },
      }));
    },
    async authorize(requests) {
      const refs = (requests as AuthorizePermissionRequest[]).map(
        r => r.resourceRef ?? '',
      );
      asked.push(refs);
      return refs.map(ref => ({
        result: allowedRefs.includes(ref)
          ? AuthorizeResult.ALLOW
          : AuthorizeResult.DENY,
      }));
    },
  } as PermissionsService & { asked: string[][] };
}

async function start(options?: {
  permission?: AuthorizeResult.ALLOW | AuthorizeResult.DENY;
  permissions?: PermissionsService;
}) {
  const { service } = await createSandboxIrsaService();
  const { server } = await startTestBackend({
    features: [
      irsaPlugin,
      catalogServiceMock.factory({ entities }),
      createServiceFactory({
        service: irsaServiceRef,
        deps: {},
        factory: () => service,
      }),
      options?.permissions
        ? createServiceFactory({
            service: coreServices.permissions,
            deps: {},
            factory: () => options.permissions!,
          })
        : mockServices.permissions.factory({
            result: options?.permission ?? AuthorizeResult.ALLOW,
          }),
      mockServices.httpAuth.factory({
        defaultCredentials: mockCredentials.none(),
      }),
      mockServices.rootConfig.factory({
        data: { events: { useEventBus: 'never' } },
      }),
    ],
  });
  return server;
}

const user = mockCredentials.user.header();
const service = mockCredentials.service.header();
const refOf = (e: Entity) => `component:default/${e.metadata.name}`;
const verify = (server: Awaited<ReturnType<typeof start>>, e: Entity) =>
  request(server)
    .post(`/api/irsa/v1/entities/component/default/${e.metadata.name}/verify`)
    .set('Authorization', user)
    .expect(200);

describe('GET /v1/entities (the fleet list)', () => {
  it('200: every annotated entity, never verified yet, sorted, with counts', async () => {
    const server = await start();
    const res = await request(server)
      .get('/api/irsa/v1/entities')
      .set('Authorization', user);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      items: [
        {
          entityRef: 'component:default/inventory-sync',
          owner: 'group:default/inventory',
          cluster: 'sandbox',
          namespace: 'inventory',
          serviceAccount: 'inventory-sync',
          mechanism: 'irsa',
          status: 'none',
          failingChecks: [],
          stale: true,
        },
        {
          entityRef: 'component:default/legacy-batch',
          owner: 'group:default/payments',
          cluster: 'sandbox-legacy',
          namespace: 'batch',
          serviceAccount: 'legacy-batch',
          mechanism: 'irsa',
          status: 'none',
          failingChecks: [],
          stale: true,
        },
        {
          entityRef: `component:default/${scenario('healthy').serviceAccount}`,
          title: 'Payments API',
          owner: 'group:default/payments',
          cluster: scenario('healthy').cluster,
          namespace: scenario('healthy').namespace,
          serviceAccount: scenario('healthy').serviceAccount,
          mechanism: 'irsa',
          status: 'none',
          failingChecks: [],
          stale: true,
        },
      ],
      totalItems: 3,
      counts: { pass: 0, warn: 0, fail: 0, unknown: 0, none: 3 },
    });
  });

  it('200: statuses and failing checks of the newest reports; filters by status, check, cluster and owner', async () => {
    const server = await start();
    await verify(server, healthy);
    await verify(server, deleted);
    const get = async (query: string) => {
      const res = await request(server)
        .get(`/api/irsa/v1/entities?${query}`)
        .set('Authorization', user);
      expect(res.status).toBe(200);
      return res.body;
    };

    const all = await get('');
    const byRef = Object.fromEntries(
      all.items.map((i: { entityRef: string }) => [i.entityRef, i]),
    );
    expect(byRef[refOf(healthy)].status).toBe('pass');
    expect(byRef[refOf(healthy)].stale).toBe(false);
    expect(byRef[refOf(deleted)].status).toBe('fail');
    expect(byRef[refOf(deleted)].failingChecks).toContain('role');
    expect(all.counts).toEqual({
      pass: 1,
      warn: 0,
      fail: 1,
      unknown: 0,
      none: 1,
    });

    const failing = await get('status=fail');
    expect(
      failing.items.map((i: { entityRef: string }) => i.entityRef),
    ).toEqual([refOf(deleted)]);
    expect(failing.totalItems).toBe(1);
    // Counts ignore the status filter, so every status button shows its number.
    expect(failing.counts).toEqual(all.counts);

    const roleFails = await get('check=role');
    expect(
      roleFails.items.map((i: { entityRef: string }) => i.entityRef),
    ).toEqual([refOf(deleted)]);
    expect(roleFails.counts).toEqual({
      pass: 0,
      warn: 0,
      fail: 1,
      unknown: 0,
      none: 0,
    });

    const legacy = await get('cluster=sandbox-legacy');
    expect(legacy.items.map((i: { entityRef: string }) => i.entityRef)).toEqual(
      [refOf(oidc)],
    );

    // A short owner means a group in the default namespace, in any case.
    for (const owner of ['payments', 'group:default/Payments']) {
      const owned = await get(`owner=${encodeURIComponent(owner)}`);
      expect(
        owned.items.map((i: { entityRef: string }) => i.entityRef),
      ).toEqual([refOf(oidc), refOf(healthy)]);
    }
    expect((await get('owner=payments&status=none')).totalItems).toBe(1);
  });

  it('200: pages with offset and limit; totalItems counts every page', async () => {
    const server = await start();
    const page = async (offset: number, limit: number) =>
      (
        await request(server)
          .get(`/api/irsa/v1/entities?offset=${offset}&limit=${limit}`)
          .set('Authorization', user)
          .expect(200)
      ).body;
    const first = await page(0, 2);
    const second = await page(2, 2);
    const beyond = await page(5, 2);
    expect(first.items.map((i: { entityRef: string }) => i.entityRef)).toEqual([
      refOf(deleted),
      refOf(oidc),
    ]);
    expect(second.items.map((i: { entityRef: string }) => i.entityRef)).toEqual(
      [refOf(healthy)],
    );
    expect(beyond.items).toEqual([]);
    expect([first.totalItems, second.totalItems, beyond.totalItems]).toEqual([
      3, 3, 3,
    ]);
  });

  it.each([
    ['status=broken', 'status: must be one of pass, warn, fail, unknown, none'],
    ['limit=0', 'limit: must be an integer from 1 to 500'],
    ['limit=501', 'limit: must be an integer from 1 to 500'],
    ['offset=-1', 'offset: must be an integer from 0 to 1000000'],
    ['offset=1.5', 'offset: must be an integer from 0 to 1000000'],
    ['cluster=a%20b', 'cluster: must be a cluster name (irsa.clusters[].name)'],
    [
      'owner=%3Cscript%3E',
      'owner: must be an entity ref such as "group:default/payments"',
    ],
    [
      'check=Role!',
      'check: must be a check id such as binding or oidc-provider',
    ],
    ['status=fail&status=pass', 'status: must be given once, not empty'],
    ['owner=', 'owner: must be given once, not empty'],
    [
      'sort=name',
      'sort: is not a parameter; use cluster, owner, status, check, offset, limit',
    ],
  ])('400: %s', async (query, message) => {
    const res = await request(await start())
      .get(`/api/irsa/v1/entities?${query}`)
      .set('Authorization', user);
    expect(res.status).toBe(400);
    expect(res.body.error).toEqual({ name: 'InputError', message });
  });

  it('401 without credentials; 403 for a service principal whose restrictions do not name irsa.entity.read', async () => {
    const server = await start();
    expect((await request(server).get('/api/irsa/v1/entities')).status).toBe(
      401,
    );
    const res = await request(server)
      .get('/api/irsa/v1/entities')
      .set('Authorization', service);
    expect(res.status).toBe(403);
    expect(res.body.error.message).toBe(
      'You are not allowed to list IAM reports (permission irsa.entity.read)',
    );
  });

  it('permission-filtered: denied lists nothing; conditional asks the framework per entity and lists only the allowed', async () => {
    const denied = await request(
      await start({ permission: AuthorizeResult.DENY }),
    )
      .get('/api/irsa/v1/entities')
      .set('Authorization', user);
    expect(denied.status).toBe(200);
    expect(denied.body).toEqual({
      items: [],
      totalItems: 0,
      counts: { pass: 0, warn: 0, fail: 0, unknown: 0, none: 0 },
    });

    const permissions = conditionalPermissions([refOf(healthy), refOf(oidc)]);
    const res = await request(await start({ permissions }))
      .get('/api/irsa/v1/entities')
      .set('Authorization', user);
    expect(res.status).toBe(200);
    expect(
      res.body.items.map((i: { entityRef: string }) => i.entityRef),
    ).toEqual([refOf(oidc), refOf(healthy)]);
    expect(res.body.totalItems).toBe(2);
    // One batch naming each annotated entity (never the unannotated one).
    expect(permissions.asked.map(refs => [...refs].sort())).toEqual([
      [refOf(deleted), refOf(oidc), refOf(healthy)].sort(),
    ]);
  });
});

describe('GET /v1/orphans', () => {
  it('200: the entity and ServiceAccount whose role is gone, and managed roles whose entity is not in the catalog', async () => {
    const server = await start();
    await verify(server, deleted);
    const res = await request(server)
      .get('/api/irsa/v1/orphans')
      .set('Authorization', user);
    expect(res.status).toBe(200);
    const s = scenario('role-deleted');
    const inCatalog = entities.map(refOf);
    // The sandbox seeds one tagged role per scenario, except the deleted one.
    const roleOrphans = SANDBOX_SCENARIOS.filter(
      x => x.id !== 'role-deleted' && !inCatalog.includes(x.entityRef),
    );
    expect(res.body.errors).toEqual([]);
    expect(res.body.items.slice(0, 2)).toEqual([
      {
        kind: 'entity',
        entityRef: s.entityRef,
        roleArn: s.roleArn,
        cluster: 'sandbox',
        reason: `The role ${s.roleArn} named by irsa.dev/role-arn does not exist`,
      },
      {
        kind: 'serviceAccount',
        cluster: 'sandbox',
        namespace: 'inventory',
        name: 'inventory-sync',
        roleArn: s.roleArn,
        entityRef: s.entityRef,
        reason: `ServiceAccount inventory/inventory-sync is annotated with ${s.roleArn}, which does not exist`,
      },
    ]);
    // IAM is global to the account both sandbox clusters share: listed once.
    expect(res.body.items.slice(2)).toEqual(
      expect.arrayContaining(
        roleOrphans.map(x => ({
          kind: 'role',
          roleArn: x.roleArn,
          entityRef: x.entityRef,
          cluster: x.cluster,
          reason: `Role ${x.roleArn.split('/').pop()} is tagged for ${x.entityRef}, which is not in the catalog`,
        })),
      ),
    );
    expect(res.body.items).toHaveLength(2 + roleOrphans.length);
  });

  it('403 without irsa.fleet.read; 400 for any parameter', async () => {
    const denied = await request(
      await start({ permission: AuthorizeResult.DENY }),
    )
      .get('/api/irsa/v1/orphans')
      .set('Authorization', user);
    expect(denied.status).toBe(403);
    expect(denied.body.error.message).toBe(
      "You are not allowed to see the fleet's orphans (permission irsa.fleet.read)",
    );
    const bad = await request(await start())
      .get('/api/irsa/v1/orphans?cluster=sandbox')
      .set('Authorization', user);
    expect(bad.status).toBe(400);
    expect(bad.body.error.message).toBe(
      'cluster: is not a parameter of this route',
    );
  });
});
