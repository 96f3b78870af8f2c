import {
  mockCredentials,
  mockServices,
  startTestBackend,
} from '@backstage/backend-test-utils';
import {
  createBackendPlugin,
  createServiceFactory,
  type BackendFeature,
  type BackstageCredentials,
} from '@backstage/backend-plugin-api';
import type { Entity } from '@backstage/catalog-model';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import {
  eventsServiceFactory,
  eventsServiceRef,
  type EventsService,
} from '@backstage/plugin-events-node';
import { AuthorizeResult } from '@backstage/plugin-permission-common';
import { irsaServiceRef } from '@backstage-irsa/plugin-irsa-node';
import {
  createSandboxIrsaService,
  SANDBOX_SCENARIOS,
} from '@backstage-irsa/plugin-irsa-sandbox';
import request from 'supertest';
import irsaPlugin from '.';

const healthy = SANDBOX_SCENARIOS.find(s => s.id === 'healthy')!;
const component = (
  name: string,
  annotations: Record<string, string>,
): Entity => ({
  apiVersion: 'backstage.io/v1alpha1',
  kind: 'Component',
  metadata: { name, namespace: 'default', annotations },
  spec: { type: 'service', owner: 'guests', lifecycle: 'production' },
});
const entities = [
  component('payments-api', {
    'irsa.dev/cluster': healthy.cluster,
    'irsa.dev/service-account': `${healthy.namespace}/${healthy.serviceAccount}`,
    'irsa.dev/role-arn': healthy.roleArn,
  }),
  component('plain', {}),
];

/**
 * A plugin standing in for any other publisher on the events bus, with the
 * real in-process events service (the test backend's mock is per plugin).
 */
function eventsPublisher() {
  const holder: { events?: EventsService } = {};
  const feature = createBackendPlugin({
    pluginId: 'publisher',
    register(env) {
      env.registerInit({
        deps: { events: eventsServiceRef },
        async init({ events }) {
          holder.events = events;
        },
      });
    },
  });
  return { features: [feature, eventsServiceFactory], holder };
}

async function start(options?: {
  permission?: AuthorizeResult.ALLOW | AuthorizeResult.DENY;
  cooldownSeconds?: number;
  latencyMs?: number;
  credentials?: BackstageCredentials;
  features?: BackendFeature[];
}) {
  const { service } = await createSandboxIrsaService({
    latencyMs: options?.latencyMs,
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
      mockServices.permissions.factory({
        result: options?.permission ?? AuthorizeResult.ALLOW,
      }),
      // Requests without a token are unauthenticated (the mock's default is a user).
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
  return server;
}

const base = '/api/irsa/v1/entities/component/default';
const user = mockCredentials.user.header();
const service = mockCredentials.service.header();

/** The backend's error body for a request. */
const errorBody = (
  method: string,
  url: string,
  statusCode: number,
  name: string,
  message: string,
) => ({
  error: { name, message },
  // The error handler reports the URL inside the plugin's router.
  request: { method, url: url.replace(/^\/api\/irsa/, '') },
  response: { statusCode },
});

describe('irsa backend plugin', () => {
  describe('GET /v1/entities/:kind/:namespace/:name', () => {
    it('200: the stored report, not stale', async () => {
      const server = await start();
      const verified = await request(server)
        .post(`${base}/payments-api/verify`)
        .set('Authorization', user);
      const stored = await request(server)
        .get(`${base}/payments-api`)
        .set('Authorization', user);
      expect(stored.status).toBe(200);
      expect(stored.body).toEqual(verified.body);
      expect(stored.body.stale).toBe(false);
    });

    it('400: a bad path segment', async () => {
      const server = await start();
      const res = await request(server)
        .get(`${base}/bad%20name`)
        .set('Authorization', user);
      expect(res.status).toBe(400);
      expect(res.body).toEqual(
        errorBody(
          'GET',
          `${base}/bad%20name`,
          400,
          'InputError',
          'name: must be a catalog entity name (letters, digits, -_. up to 63)',
        ),
      );
    });

    it('401: no credentials', async () => {
      const server = await start();
      const res = await request(server).get(`${base}/payments-api`);
      expect(res.status).toBe(401);
      expect(res.body.error.name).toBe('AuthenticationError');
    });

    it('403: the policy denies, or a service principal without an access restriction naming irsa.entity.read', async () => {
      const denied = await request(
        await start({ permission: AuthorizeResult.DENY }),
      )
        .get(`${base}/payments-api`)
        .set('Authorization', user);
      expect(denied.status).toBe(403);
      expect(denied.body).toEqual(
        errorBody(
          'GET',
          `${base}/payments-api`,
          403,
          'NotAllowedError',
          'You are not allowed to read the IAM report of component:default/payments-api',
        ),
      );
      const plainService = await request(await start())
        .get(`${base}/payments-api`)
        .set('Authorization', service);
      expect(plainService.status).toBe(403);
      expect(plainService.body.error.message).toBe(
        'You are not allowed to read the IAM report of component:default/payments-api',
      );
    });

    it('404: no report yet, unknown entity, entity without the annotations', async () => {
      const server = await start();
      for (const [name, message] of [
        [
          'payments-api',
          'No IAM report for component:default/payments-api yet; POST to .../verify to run the checks now',
        ],
        ['nope', 'Entity component:default/nope was not found in the catalog'],
        [
          'plain',
          'Entity component:default/plain has no irsa.dev/service-account annotation, so it has no IAM report',
        ],
      ]) {
        const res = await request(server)
          .get(`${base}/${name}`)
          .set('Authorization', user);
        expect(res.status).toBe(404);
        expect(res.body).toEqual(
          errorBody('GET', `${base}/${name}`, 404, 'NotFoundError', message),
        );
      }
    });
  });

  describe('GET /v1/entities/:kind/:namespace/:name/history', () => {
    it('200: summaries with failing check ids', async () => {
      const server = await start();
      const verified = await request(server)
        .post(`${base}/payments-api/verify`)
        .set('Authorization', user);
      const res = await request(server)
        .get(`${base}/payments-api/history?limit=5`)
        .set('Authorization', user);
      expect(res.status).toBe(200);
      expect(res.body).toEqual({
        items: [
          {
            status: 'pass',
            trigger: 'manual',
            verifiedAt: verified.body.report.verifiedAt,
            durationMs: verified.body.report.durationMs,
            counts: verified.body.report.checks.reduce(
              (counts: Record<string, number>, c: { status: string }) => ({
                ...counts,
                [c.status]: counts[c.status] + 1,
              }),
              { pass: 0, warn: 0, fail: 0, unknown: 0, skipped: 0 },
            ),
            failingChecks: [],
          },
        ],
      });
    });

    it('400: a limit out of range', async () => {
      const server = await start();
      const res = await request(server)
        .get(`${base}/payments-api/history?limit=0`)
        .set('Authorization', user);
      expect(res.status).toBe(400);
      expect(res.body).toEqual(
        errorBody(
          'GET',
          `${base}/payments-api/history?limit=0`,
          400,
          'InputError',
          'limit: must be an integer from 1 to 100',
        ),
      );
    });

    it('401: no credentials', async () => {
      const res = await request(await start()).get(
        `${base}/payments-api/history`,
      );
      expect(res.status).toBe(401);
      expect(res.body.error.name).toBe('AuthenticationError');
    });

    it('403: the policy denies', async () => {
      const res = await request(
        await start({ permission: AuthorizeResult.DENY }),
      )
        .get(`${base}/payments-api/history`)
        .set('Authorization', user);
      expect(res.status).toBe(403);
      expect(res.body).toEqual(
        errorBody(
          'GET',
          `${base}/payments-api/history`,
          403,
          'NotAllowedError',
          'You are not allowed to read the IAM report of component:default/payments-api',
        ),
      );
    });

    it('404: an entity without the annotations', async () => {
      const res = await request(await start())
        .get(`${base}/plain/history`)
        .set('Authorization', user);
      expect(res.status).toBe(404);
      expect(res.body).toEqual(
        errorBody(
          'GET',
          `${base}/plain/history`,
          404,
          'NotFoundError',
          'Entity component:default/plain has no irsa.dev/service-account annotation, so it has no IAM report',
        ),
      );
    });
  });

  describe('POST /v1/entities/:kind/:namespace/:name/verify', () => {
    it('200: runs every check now and stores the report', async () => {
      const server = await start();
      const res = await request(server)
        .post(`${base}/payments-api/verify`)
        .set('Authorization', user);
      expect(res.status).toBe(200);
      expect(res.body.stale).toBe(false);
      expect(res.body.report).toMatchObject({
        entityRef: 'component:default/payments-api',
        environment: 'sandbox',
        status: 'pass',
        trigger: 'manual',
        roleArn: healthy.roleArn,
      });
    });

    it('400: a body', async () => {
      const res = await request(await start())
        .post(`${base}/payments-api/verify`)
        .set('Authorization', user)
        .send({ force: true });
      expect(res.status).toBe(400);
      expect(res.body).toEqual(
        errorBody(
          'POST',
          `${base}/payments-api/verify`,
          400,
          'InputError',
          'body: must be empty; the entity is named by the path',
        ),
      );
    });

    it('401: no credentials', async () => {
      const res = await request(await start()).post(
        `${base}/payments-api/verify`,
      );
      expect(res.status).toBe(401);
      expect(res.body.error.name).toBe('AuthenticationError');
    });

    it('403: the policy denies', async () => {
      const res = await request(
        await start({ permission: AuthorizeResult.DENY }),
      )
        .post(`${base}/payments-api/verify`)
        .set('Authorization', user);
      expect(res.status).toBe(403);
      expect(res.body).toEqual(
        errorBody(
          'POST',
          `${base}/payments-api/verify`,
          403,
          'NotAllowedError',
          'You are not allowed to verify component:default/payments-api',
        ),
      );
    });

    it('403 for a plain service principal even though the permission client would allow it', async () => {
      const res = await request(await start())
        .post(`${base}/payments-api/verify`)
        .set('Authorization', service);
      expect(res.status).toBe(403);
      expect(res.body).toEqual(
        errorBody(
          'POST',
          `${base}/payments-api/verify`,
          403,
          'NotAllowedError',
          'You are not allowed to verify component:default/payments-api',
        ),
      );
    });

    it('200 for a service principal whose access restrictions name irsa.entity.verify', async () => {
      const server = await start({
        credentials: mockCredentials.service('external:ci', {
          permissionNames: ['irsa.entity.verify'],
        }),
      });
      const res = await request(server).post(`${base}/payments-api/verify`);
      expect(res.status).toBe(200);
      expect(res.body.report.status).toBe('pass');
    });

    it('404: unknown entity, entity without the annotations', async () => {
      const server = await start();
      const unknown = await request(server)
        .post(`${base}/nope/verify`)
        .set('Authorization', user);
      expect(unknown.status).toBe(404);
      expect(unknown.body).toEqual(
        errorBody(
          'POST',
          `${base}/nope/verify`,
          404,
          'NotFoundError',
          'Entity component:default/nope was not found in the catalog',
        ),
      );
      const plain = await request(server)
        .post(`${base}/plain/verify`)
        .set('Authorization', user);
      expect(plain.status).toBe(404);
    });

    it('429 with Retry-After inside the cooldown', async () => {
      const server = await start({ cooldownSeconds: 600 });
      const first = await request(server)
        .post(`${base}/payments-api/verify`)
        .set('Authorization', user);
      expect(first.status).toBe(200);
      const again = await request(server)
        .post(`${base}/payments-api/verify`)
        .set('Authorization', user);
      expect(again.status).toBe(429);
      const retryAfter = Number(again.headers['retry-after']);
      expect(retryAfter).toBeGreaterThan(590);
      expect(retryAfter).toBeLessThanOrEqual(600);
      // Readable by the portal on its other origin.
      expect(again.headers['access-control-expose-headers']).toBe(
        'Retry-After',
      );
      expect(again.body).toEqual(
        errorBody(
          'POST',
          `${base}/payments-api/verify`,
          429,
          'TooManyRequestsError',
          `This entity was verified moments ago; try again in ${retryAfter} s`,
        ),
      );
    });

    it('shares one run between concurrent requests for the same entity', async () => {
      // Latency makes the two requests overlap the same run.
      const server = await start({ latencyMs: 30 });
      const [a, b] = await Promise.all([
        request(server)
          .post(`${base}/payments-api/verify`)
          .set('Authorization', user),
        request(server)
          .post(`${base}/payments-api/verify`)
          .set('Authorization', user),
      ]);
      expect([a.status, b.status]).toEqual([200, 200]);
      expect(a.body.report.verifiedAt).toBe(b.body.report.verifiedAt);
      const history = await request(server)
        .get(`${base}/payments-api/history`)
        .set('Authorization', user);
      expect(history.body.items).toHaveLength(1);
    });

    it('audits every verify request with its outcome', async () => {
      const event = { success: jest.fn(), fail: jest.fn() };
      const auditor = mockServices.auditor.mock({
        createEvent: jest.fn(async () => event),
      });
      const server = await start({ features: [auditor.factory] });
      await request(server)
        .post(`${base}/payments-api/verify`)
        .set('Authorization', user);
      expect(auditor.createEvent).toHaveBeenCalledWith(
        expect.objectContaining({
          eventId: 'entity-verify',
          severityLevel: 'medium',
          meta: { entityRef: 'component:default/payments-api' },
        }),
      );
      expect(event.success).toHaveBeenCalledWith({ meta: { status: 'pass' } });

      await request(server)
        .post(`${base}/nope/verify`)
        .set('Authorization', user);
      expect(event.fail).toHaveBeenCalledWith({
        error: expect.objectContaining({ name: 'NotFoundError' }),
      });
    });
  });

  describe('events', () => {
    it('stores nothing from a forged irsa.report event (status pass, verifiedAt in the future)', async () => {
      const publisher = eventsPublisher();
      const server = await start({ features: publisher.features });
      await publisher.holder.events!.publish({
        topic: 'irsa.report',
        eventPayload: {
          entityRef: 'component:default/payments-api',
          report: {
            entityRef: 'component:default/payments-api',
            status: 'pass',
            verifiedAt: '2099-01-01T00:00:00.000Z',
            checks: [],
          },
        },
      });
      await new Promise(resolve => setTimeout(resolve, 200));
      const res = await request(server)
        .get(`${base}/payments-api`)
        .set('Authorization', user);
      expect(res.status).toBe(404);
      // Re-verify is not blocked by a forged time either.
      const verify = await request(server)
        .post(`${base}/payments-api/verify`)
        .set('Authorization', user);
      expect(verify.status).toBe(200);
    });

    it('verifies on irsa.verify-requested with its own run, ignoring anything but the entity ref', async () => {
      const publisher = eventsPublisher();
      const server = await start({ features: publisher.features });
      await publisher.holder.events!.publish({
        topic: 'irsa.verify-requested',
        eventPayload: {
          entityRef: 'component:default/payments-api',
          report: { status: 'fail', verifiedAt: '2099-01-01T00:00:00.000Z' },
        },
      });
      let res = await request(server)
        .get(`${base}/payments-api`)
        .set('Authorization', user);
      for (let i = 0; i < 50 && res.status === 404; i++) {
        await new Promise(resolve => setTimeout(resolve, 100));
        res = await request(server)
          .get(`${base}/payments-api`)
          .set('Authorization', user);
      }
      expect(res.status).toBe(200);
      expect(res.body.report).toMatchObject({
        entityRef: 'component:default/payments-api',
        status: 'pass',
        trigger: 'provision',
      });
      expect(Date.parse(res.body.report.verifiedAt)).toBeLessThanOrEqual(
        Date.now(),
      );
    });
  });
});
