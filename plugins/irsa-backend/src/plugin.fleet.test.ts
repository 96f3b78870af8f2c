import {
  mockCredentials,
  mockServices,
  startTestBackend,
} from '@backstage/backend-test-utils';
import {
  coreServices,
  createServiceFactory,
  type BackstageCredentials,
  type PermissionsService,
} from '@backstage/backend-plugin-api';
import type { Entity } from '@backstage/catalog-model';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import {
  AuthorizeResult,
  type AuthorizePermissionRequest,
  type QueryPermissionRequest,
} from '@backstage/plugin-permission-common';
import type {
  FleetEntity,
  FleetResponse,
  VerificationReport,
} from '@backstage-irsa/plugin-irsa-common';
import {
  GatewayError,
  irsaServiceRef,
  type IrsaService,
} from '@backstage-irsa/plugin-irsa-node';
import {
  createSandboxIrsaService,
  SANDBOX_SCENARIOS,
  SANDBOX_WIRING_SCENARIOS,
  type Sandbox,
} from '@backstage-irsa/plugin-irsa-sandbox';
import request from 'supertest';
import irsaPlugin from '.';

const scenarios = [...SANDBOX_SCENARIOS, ...SANDBOX_WIRING_SCENARIOS];
const scenario = (id: string) => scenarios.find(s => s.id === id)!;

/** A component annotated for a sandbox scenario, owned by `owner`. */
function component(
  id: string,
  owner: string,
  extra?: { title?: string; mechanism?: string },
): Entity {
  const s = scenario(id);
  return {
    apiVersion: 'backstage.io/v1alpha1',
    kind: 'Component',
    metadata: {
      name: s.serviceAccount,
      namespace: 'default',
      ...(extra?.title ? { title: extra.title } : {}),
      annotations: {
        'irsa.dev/cluster': s.cluster,
        'irsa.dev/service-account': `${s.namespace}/${s.serviceAccount}`,
        'irsa.dev/role-arn': s.roleArn,
        ...(extra?.mechanism ? { 'irsa.dev/mechanism': extra.mechanism } : {}),
      },
    },
    spec: { type: 'service', owner, lifecycle: 'production' },
  };
}

const healthy = component('healthy', 'payments', { title: 'Payments API' });
const deleted = component('role-deleted', 'group:default/inventory');
const oidc = component('oidc-missing', 'payments');
// Declares Pod Identity; never verified in these tests.
const ledger = component('pod-identity-healthy', 'ledger', {
  mechanism: 'pod-identity',
});
// Declares nothing (IRSA); its reports say Pod Identity (mid-migration).
const migrating = component('migrating-to-pod-identity', 'payments');
const plain: Entity = {
  apiVersion: 'backstage.io/v1alpha1',
  kind: 'Component',
  metadata: { name: 'plain', namespace: 'default' },
  spec: { type: 'service', owner: 'payments', lifecycle: 'production' },
};
const entities = [healthy, deleted, oidc, ledger, migrating, plain];

const refOf = (e: Entity) => `component:default/${e.metadata.name}`;
const refsOf = (body: FleetResponse) => body.items.map(i => i.entityRef);
const noCounts = { pass: 0, warn: 0, fail: 0, unknown: 0, none: 0 };

type Decision = AuthorizeResult.ALLOW | AuthorizeResult.DENY | 'conditional';

/**
 * A permission policy per permission name: allow, deny, or conditional,
 * where the framework's per-entity answer allows only the listed refs. It
 * records every per-entity question as `permission ref`.
 */
function policyPermissions(
  policy: Record<string, { decision: Decision; allowedRefs?: string[] }>,
): PermissionsService & { asked: string[][] } {
  const asked: string[][] = [];
  const rule = (name: string) =>
    policy[name] ?? { decision: AuthorizeResult.DENY };
  return {
    asked,
    async authorizeConditional(requests: QueryPermissionRequest[]) {
      return requests.map(({ permission }) => {
        const { decision } = rule(permission.name);
        if (decision !== 'conditional') return { result: decision };
        return {
          result: AuthorizeResult.CONDITIONAL,
          pluginId: 'catalog',
          resourceType: 'catalog-entity',
          conditions: {
            rule: 'IS_ENTITY_OWNER',
            resourceType: 'catalog-entity',
            params: { claims: ['group:default/payments'] },
          },
        };
      });
    },
    async authorize(requests: AuthorizePermissionRequest[]) {
      asked.push(requests.map(r => `${r.permission.name} ${r.resourceRef}`));
      return requests.map(({ permission, resourceRef }) => {
        const { decision, allowedRefs } = rule(permission.name);
        const allowed =
          decision === AuthorizeResult.ALLOW ||
          (decision === 'conditional' &&
            allowedRefs!.includes(resourceRef ?? ''));
        return {
          result: allowed ? AuthorizeResult.ALLOW : AuthorizeResult.DENY,
        };
      });
    },
  } as PermissionsService & { asked: string[][] };
}

async function start(options?: {
  permission?: AuthorizeResult.ALLOW | AuthorizeResult.DENY;
  permissions?: PermissionsService;
  credentials?: BackstageCredentials;
  sandbox?: { service: IrsaService; sandbox: Sandbox };
}) {
  const { service } = options?.sandbox ?? (await createSandboxIrsaService());
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
        defaultCredentials: options?.credentials ?? mockCredentials.none(),
      }),
      mockServices.rootConfig.factory({
        data: { events: { useEventBus: 'never' } },
      }),
    ],
  });
  return server;
}

type Server = Awaited<ReturnType<typeof start>>;
const user = mockCredentials.user.header();
const service = mockCredentials.service.header();

const verify = async (server: Server, e: Entity) =>
  (
    await request(server)
      .post(`/api/irsa/v1/entities/component/default/${e.metadata.name}/verify`)
      .set('Authorization', user)
      .expect(200)
  ).body.report as VerificationReport;

async function list(server: Server, query = ''): Promise<FleetResponse> {
  const res = await request(server)
    .get(`/api/irsa/v1/entities${query ? `?${query}` : ''}`)
    .set('Authorization', user);
  expect(res.status).toBe(200);
  return res.body;
}

/** The row of a never-verified entity. */
function unverifiedRow(e: Entity, owner: string, mechanism: string) {
  const s = scenarios.find(x => x.serviceAccount === e.metadata.name)!;
  return {
    entityRef: refOf(e),
    ...(e.metadata.title ? { title: e.metadata.title } : {}),
    owner,
    cluster: s.cluster,
    namespace: s.namespace,
    serviceAccount: s.serviceAccount,
    mechanism,
    status: 'none',
    failingChecks: [],
    stale: true,
  };
}

describe('GET /v1/entities (the fleet list)', () => {
  it('200: every annotated entity, never verified yet, sorted by ref, with its mechanism and the counts', async () => {
    const body = await list(await start());
    expect(body).toEqual({
      items: [
        unverifiedRow(migrating, 'group:default/payments', 'irsa'),
        unverifiedRow(deleted, 'group:default/inventory', 'irsa'),
        unverifiedRow(ledger, 'group:default/ledger', 'pod-identity'),
        unverifiedRow(oidc, 'group:default/payments', 'irsa'),
        unverifiedRow(healthy, 'group:default/payments', 'irsa'),
      ],
      totalItems: 5,
      counts: { ...noCounts, none: 5 },
    });
  });

  it("200: the newest reports' status, failing checks, time and mechanism; each filter, alone and combined, with counts ignoring only the status filter", async () => {
    const server = await start();
    const healthyReport = await verify(server, healthy);
    const deletedReport = await verify(server, deleted);
    const migratingReport = await verify(server, migrating);
    expect([
      healthyReport.status,
      deletedReport.status,
      migratingReport.mechanism,
    ]).toEqual(['pass', 'fail', 'pod-identity']);

    const all = await list(server);
    const row = (e: Entity) =>
      all.items.find(i => i.entityRef === refOf(e)) as FleetEntity;
    expect(row(healthy)).toMatchObject({
      status: 'pass',
      failingChecks: [],
      verifiedAt: healthyReport.verifiedAt,
      stale: false,
      mechanism: 'irsa',
    });
    expect(row(deleted).status).toBe('fail');
    expect(row(deleted).failingChecks).toContain('role');
    // The report's mechanism wins over what the entity declares.
    expect(row(migrating)).toMatchObject({
      status: migratingReport.status,
      mechanism: 'pod-identity',
    });
    const expectedCounts = { ...noCounts, none: 2 };
    for (const s of ['pass', 'fail', migratingReport.status] as const) {
      expectedCounts[s] += 1;
    }
    expect(all.counts).toEqual(expectedCounts);
    expect(all.totalItems).toBe(5);

    const failing = await list(server, 'status=fail');
    expect(refsOf(failing)).toEqual(
      [deleted, migrating]
        .filter(e => row(e).status === 'fail')
        .map(refOf)
        .sort(),
    );
    // Counts ignore the status filter, so every status button shows its number.
    expect(failing.counts).toEqual(all.counts);

    const roleFails = await list(server, 'check=role');
    expect(refsOf(roleFails)).toEqual([refOf(deleted)]);
    expect(roleFails.counts).toEqual({ ...noCounts, fail: 1 });

    const legacy = await list(server, 'cluster=sandbox-legacy');
    expect(refsOf(legacy)).toEqual([refOf(oidc)]);
    expect(legacy.counts).toEqual({ ...noCounts, none: 1 });

    // A short owner means a group in the default namespace, in any case.
    for (const owner of ['payments', 'group:default/Payments']) {
      const owned = await list(server, `owner=${encodeURIComponent(owner)}`);
      expect(refsOf(owned)).toEqual([
        refOf(migrating),
        refOf(oidc),
        refOf(healthy),
      ]);
    }

    const podIdentity = await list(server, 'mechanism=pod-identity');
    expect(refsOf(podIdentity)).toEqual([refOf(migrating), refOf(ledger)]);
    expect(podIdentity.counts).toEqual({
      ...noCounts,
      none: 1,
      [migratingReport.status]: 1,
    });
    expect(refsOf(await list(server, 'mechanism=irsa'))).toEqual([
      refOf(deleted),
      refOf(oidc),
      refOf(healthy),
    ]);

    const combined = await list(
      server,
      'owner=payments&mechanism=irsa&status=none',
    );
    expect(refsOf(combined)).toEqual([refOf(oidc)]);
    expect(combined.totalItems).toBe(1);
    expect(combined.counts).toEqual({ ...noCounts, pass: 1, none: 1 });
    expect(
      (await list(server, 'cluster=sandbox-legacy&mechanism=pod-identity'))
        .totalItems,
    ).toBe(0);
  });

  it('200: pages with offset and limit; totalItems and counts cover every page', async () => {
    const server = await start();
    const first = await list(server, 'offset=0&limit=2');
    const second = await list(server, 'offset=2&limit=2');
    const last = await list(server, 'offset=4&limit=2');
    const beyond = await list(server, 'offset=5&limit=2');
    expect(refsOf(first)).toEqual([refOf(migrating), refOf(deleted)]);
    expect(refsOf(second)).toEqual([refOf(ledger), refOf(oidc)]);
    expect(refsOf(last)).toEqual([refOf(healthy)]);
    expect(beyond.items).toEqual([]);
    for (const page of [first, second, last, beyond]) {
      expect(page.totalItems).toBe(5);
      expect(page.counts).toEqual({ ...noCounts, none: 5 });
    }
    // The default page is 50 rows from the first.
    expect(refsOf(await list(server))).toEqual([
      ...refsOf(first),
      ...refsOf(second),
      ...refsOf(last),
    ]);
  });

  it.each([
    ['status=broken', 'status: must be one of pass, warn, fail, unknown, none'],
    ['mechanism=eks', 'mechanism: must be one of irsa, pod-identity'],
    ['mechanism=', 'mechanism: must be given once, not empty'],
    [
      'mechanism=irsa&mechanism=pod-identity',
      'mechanism: must be given once, not empty',
    ],
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
      'sort: is not a parameter; use cluster, owner, status, check, mechanism, offset, limit',
    ],
  ])('400: %s', async (query, message) => {
    const res = await request(await start())
      .get(`/api/irsa/v1/entities?${query}`)
      .set('Authorization', user);
    expect(res.status).toBe(400);
    expect(res.body.error).toEqual({ name: 'InputError', message });
  });

  it('401 without credentials', async () => {
    const res = await request(await start()).get('/api/irsa/v1/entities');
    expect(res.status).toBe(401);
  });

  it('403 for a service principal whose access restrictions do not name irsa.entity.read; 200 when they do', async () => {
    const refused = await request(await start())
      .get('/api/irsa/v1/entities')
      .set('Authorization', service);
    expect(refused.status).toBe(403);
    expect(refused.body.error).toEqual({
      name: 'NotAllowedError',
      message:
        'You are not allowed to list IAM reports (permission irsa.entity.read)',
    });

    const other = await request(
      await start({
        credentials: mockCredentials.service('external:ci', {
          permissionNames: ['irsa.entity.verify'],
        }),
      }),
    ).get('/api/irsa/v1/entities');
    expect(other.status).toBe(403);

    const named = await request(
      await start({
        credentials: mockCredentials.service('external:ci', {
          permissionNames: ['catalog.entity.read', 'irsa.entity.read'],
        }),
      }),
    ).get('/api/irsa/v1/entities');
    expect(named.status).toBe(200);
    expect(named.body.totalItems).toBe(5);
  });

  it('permission-filtered: a denied caller lists nothing, with zero counts', async () => {
    for (const permissions of [
      policyPermissions({
        'catalog.entity.read': { decision: AuthorizeResult.ALLOW },
        'irsa.entity.read': { decision: AuthorizeResult.DENY },
      }),
      policyPermissions({
        'catalog.entity.read': { decision: AuthorizeResult.DENY },
        'irsa.entity.read': { decision: AuthorizeResult.ALLOW },
      }),
    ]) {
      const body = await list(await start({ permissions }));
      expect(body).toEqual({ items: [], totalItems: 0, counts: noCounts });
      expect(permissions.asked).toEqual([]);
    }
  });

  it('permission-filtered: a caller allowed only some entities sees only those, in the list, the total and the counts', async () => {
    const server = await start({
      permissions: policyPermissions({
        'catalog.entity.read': { decision: AuthorizeResult.ALLOW },
        'irsa.entity.verify': { decision: AuthorizeResult.ALLOW },
        'irsa.entity.read': {
          decision: 'conditional',
          allowedRefs: [refOf(healthy), refOf(oidc)],
        },
      }),
    });
    await verify(server, healthy);
    await verify(server, deleted);
    const body = await list(server);
    expect(refsOf(body)).toEqual([refOf(oidc), refOf(healthy)]);
    expect(body.totalItems).toBe(2);
    // The failing entity the caller may not read is counted nowhere.
    expect(body.counts).toEqual({ ...noCounts, pass: 1, none: 1 });
    expect(refsOf(await list(server, 'check=role'))).toEqual([]);
  });

  it('permission-filtered: conditional decisions are asked per annotated entity in one batch, and both the catalog read and the report read must allow', async () => {
    const permissions = policyPermissions({
      'catalog.entity.read': {
        decision: 'conditional',
        allowedRefs: [refOf(healthy), refOf(oidc), refOf(ledger)],
      },
      'irsa.entity.read': {
        decision: 'conditional',
        allowedRefs: [refOf(healthy), refOf(deleted), refOf(ledger)],
      },
    });
    const body = await list(await start({ permissions }));
    expect(refsOf(body)).toEqual([refOf(ledger), refOf(healthy)]);
    const annotated = [migrating, deleted, ledger, oidc, healthy].map(refOf);
    // Never the unannotated entity.
    expect(permissions.asked).toEqual([
      annotated.flatMap(ref => [
        `catalog.entity.read ${ref}`,
        `irsa.entity.read ${ref}`,
      ]),
    ]);
  });
});

describe('GET /v1/orphans', () => {
  it('200: the entity and ServiceAccount whose role is gone, managed roles and Pod Identity associations whose entity is not in the catalog', async () => {
    const sandbox = await createSandboxIrsaService();
    const legacyTarget = sandbox.service.clusters.target('sandbox-legacy');
    const ledgerScenario = scenario('pod-identity-healthy');
    // Not ours (no tags), and ours for an entity still in the catalog.
    for (const tags of [
      {} as Record<string, string>,
      {
        'irsa.dev/managed-by': 'backstage-irsa',
        'irsa.dev/entity-ref': refOf(healthy),
      },
    ]) {
      await sandbox.service.eks.createPodIdentityAssociation(legacyTarget, {
        clusterName: 'sandbox-legacy',
        namespace: 'archive',
        serviceAccount: `extra-${Object.keys(tags).length}`,
        roleArn: scenario('pod-identity-agent-missing').roleArn,
        tags,
      });
    }
    const server = await start({ sandbox });
    await verify(server, deleted);
    const res = await request(server)
      .get('/api/irsa/v1/orphans')
      .set('Authorization', user);
    expect(res.status).toBe(200);
    const s = scenario('role-deleted');
    const inCatalog = entities.map(refOf);
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
    // The sandbox seeds one tagged role per workload, except the deleted
    // one; IAM is global to the account both clusters share: listed once.
    const roleOrphans = scenarios
      .filter(x => x.id !== 'role-deleted' && !inCatalog.includes(x.entityRef))
      .map(x => ({
        kind: 'role',
        roleArn: x.roleArn,
        entityRef: x.entityRef,
        cluster: x.cluster,
        reason: `Role ${x.roleArn.split('/').pop()} is tagged for ${x.entityRef}, which is not in the catalog`,
      }));
    // Associations: the seeded Pod Identity workloads whose entity is gone.
    const archive = scenario('pod-identity-agent-missing');
    const [archiveAssociation] =
      await sandbox.service.eks.listPodIdentityAssociations(
        legacyTarget,
        'sandbox-legacy',
        { namespace: 'archive', serviceAccount: 'archive-exporter' },
      );
    const associationOrphans = [
      {
        kind: 'association',
        associationId: archiveAssociation.associationId,
        cluster: 'sandbox-legacy',
        namespace: 'archive',
        serviceAccount: 'archive-exporter',
        roleArn: archive.roleArn,
        entityRef: archive.entityRef,
        reason: `Pod Identity association ${archiveAssociation.associationId} (archive/archive-exporter) is tagged for ${archive.entityRef}, which is not in the catalog`,
      },
    ];
    expect(inCatalog).toContain(ledgerScenario.entityRef);
    expect(res.body.items.slice(2)).toEqual(
      expect.arrayContaining([...roleOrphans, ...associationOrphans]),
    );
    expect(res.body.items).toHaveLength(
      2 + roleOrphans.length + associationOrphans.length,
    );
  });

  it("200 with the sources that could not be read named in errors: a cluster's associations, an account's roles", async () => {
    const sandbox = await createSandboxIrsaService();
    const denied = (operation: string) =>
      new GatewayError({
        kind: 'access-denied',
        operation,
        message: 'secret detail that must not be returned',
      });
    sandbox.sandbox.controls.failNext(
      'listPodIdentityAssociations',
      denied('eks:ListPodIdentityAssociations'),
    );
    sandbox.sandbox.controls.failNext(
      'listManagedRoles',
      denied('iam:ListRoles'),
    );
    const server = await start({ sandbox });
    const res = await request(server)
      .get('/api/irsa/v1/orphans')
      .set('Authorization', user);
    expect(res.status).toBe(200);
    // Both clusters share one account; the first cluster listed fails EKS.
    expect(res.body.errors).toEqual([
      'Could not list the IAM roles of cluster sandbox',
      'Could not list the Pod Identity associations of cluster sandbox',
    ]);
    expect(JSON.stringify(res.body)).not.toContain('secret detail');
    // The other cluster's association orphan is still listed.
    expect(
      res.body.items.map((i: { kind: string; cluster: string }) => [
        i.kind,
        i.cluster,
      ]),
    ).toEqual([['association', 'sandbox-legacy']]);
    // A read with errors is not kept: the next request reads again, whole.
    const again = await request(server)
      .get('/api/irsa/v1/orphans')
      .set('Authorization', user);
    expect(again.body.errors).toEqual([]);
  });

  it('reads the roles and associations once for requests within a minute', async () => {
    const sandbox = await createSandboxIrsaService();
    const server = await start({ sandbox });
    const calls = () =>
      sandbox.sandbox.controls.calls.filter(
        c =>
          c.operation === 'listManagedRoles' ||
          c.operation === 'listPodIdentityAssociations',
      ).length;
    const first = await request(server)
      .get('/api/irsa/v1/orphans')
      .set('Authorization', user);
    const read = calls();
    // One account's roles and two clusters' associations.
    expect(read).toBe(3);
    const second = await request(server)
      .get('/api/irsa/v1/orphans')
      .set('Authorization', user);
    expect(second.status).toBe(200);
    expect(second.body).toEqual(first.body);
    expect(calls()).toBe(read);
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
