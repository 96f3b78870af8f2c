import {
  mockCredentials,
  mockServices,
  startTestBackend,
} from '@backstage/backend-test-utils';
import { createServiceFactory } from '@backstage/backend-plugin-api';
import type { Entity } from '@backstage/catalog-model';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import { AuthorizeResult } from '@backstage/plugin-permission-common';
import {
  createSandboxIrsaService,
  irsaServiceRef,
  SANDBOX_SCENARIOS,
} from '@backstage-irsa/plugin-irsa-node';
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

async function start(options?: {
  permission?: AuthorizeResult.ALLOW | AuthorizeResult.DENY;
  cooldownSeconds?: number;
  latencyMs?: number;
  features?: any[];
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
        defaultCredentials: mockCredentials.none(),
      }),
      mockServices.rootConfig.factory({
        data: {
          irsa: {
            verification: { cooldownSeconds: options?.cooldownSeconds ?? 30 },
          },
        },
      }),
    ],
  });
  return server;
}

const base = '/api/irsa/v1/entities/component/default';
const user = mockCredentials.user.header();

describe('irsa backend plugin', () => {
  it('answers 404 before the first verification, then verifies and serves the stored report', async () => {
    const server = await start();
    const missing = await request(server)
      .get(`${base}/payments-api`)
      .set('Authorization', user);
    expect(missing.status).toBe(404);
    expect(missing.body.error).toEqual({
      name: 'NotFoundError',
      message:
        'No IAM report for component:default/payments-api yet; POST to .../verify to run the checks now',
    });

    const verified = await request(server)
      .post(`${base}/payments-api/verify`)
      .set('Authorization', user);
    expect(verified.status).toBe(200);
    expect(verified.body.stale).toBe(false);
    expect(verified.body.report).toMatchObject({
      entityRef: 'component:default/payments-api',
      status: 'pass',
      trigger: 'manual',
      roleArn: healthy.roleArn,
    });
    expect(verified.body.report.checks).toHaveLength(11);

    const stored = await request(server)
      .get(`${base}/payments-api`)
      .set('Authorization', user);
    expect(stored.status).toBe(200);
    expect(stored.body).toEqual(verified.body);

    const history = await request(server)
      .get(`${base}/payments-api/history?limit=5`)
      .set('Authorization', user);
    expect(history.status).toBe(200);
    expect(history.body.items).toEqual([
      {
        status: 'pass',
        trigger: 'manual',
        verifiedAt: verified.body.report.verifiedAt,
        durationMs: verified.body.report.durationMs,
        counts: { pass: 11, warn: 0, fail: 0, unknown: 0, skipped: 0 },
      },
    ]);
  });

  it('answers 401 without credentials on every route', async () => {
    const server = await start();
    for (const [method, path] of [
      ['get', `${base}/payments-api`],
      ['get', `${base}/payments-api/history`],
      ['post', `${base}/payments-api/verify`],
    ] as const) {
      const response = await request(server)[method](path);
      expect(response.status).toBe(401);
    }
  });

  it('answers 403 when the permission policy denies', async () => {
    const server = await start({ permission: AuthorizeResult.DENY });
    const read = await request(server)
      .get(`${base}/payments-api`)
      .set('Authorization', user);
    expect(read.status).toBe(403);
    expect(read.body.error.message).toBe(
      'You are not allowed to read the IAM report of component:default/payments-api',
    );
    const verify = await request(server)
      .post(`${base}/payments-api/verify`)
      .set('Authorization', user);
    expect(verify.status).toBe(403);
    expect(verify.body.error).toEqual({
      name: 'NotAllowedError',
      message: 'You are not allowed to verify component:default/payments-api',
    });
  });

  it('answers 404 for unknown entities and entities without the annotations', async () => {
    const server = await start();
    const unknown = await request(server)
      .post(`${base}/nope/verify`)
      .set('Authorization', user);
    expect(unknown.status).toBe(404);
    expect(unknown.body.error.message).toBe(
      'Entity component:default/nope was not found in the catalog',
    );
    const plain = await request(server)
      .get(`${base}/plain`)
      .set('Authorization', user);
    expect(plain.status).toBe(404);
    expect(plain.body.error.message).toBe(
      'Entity component:default/plain has no irsa.dev/service-account annotation, so it has no IAM report',
    );
  });

  it('answers 429 with Retry-After inside the cooldown', async () => {
    const server = await start({ cooldownSeconds: 600 });
    expect(
      (
        await request(server)
          .post(`${base}/payments-api/verify`)
          .set('Authorization', user)
      ).status,
    ).toBe(200);
    const again = await request(server)
      .post(`${base}/payments-api/verify`)
      .set('Authorization', user);
    expect(again.status).toBe(429);
    expect(Number(again.headers['retry-after'])).toBeGreaterThan(590);
    expect(Number(again.headers['retry-after'])).toBeLessThanOrEqual(600);
    expect(again.body.error.name).toBe('TooManyRequestsError');
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

  it('answers 400 naming the field for bad input', async () => {
    const server = await start();
    const limit = await request(server)
      .get(`${base}/payments-api/history?limit=0`)
      .set('Authorization', user);
    expect(limit.status).toBe(400);
    expect(limit.body.error).toEqual({
      name: 'InputError',
      message: 'limit: must be an integer from 1 to 100',
    });
    const name = await request(server)
      .get(`${base}/bad%20name`)
      .set('Authorization', user);
    expect(name.status).toBe(400);
    expect(name.body.error.message).toBe(
      'name: must be a catalog entity name (letters, digits, -_. up to 63)',
    );
    const body = await request(server)
      .post(`${base}/payments-api/verify`)
      .set('Authorization', user)
      .send({ force: true });
    expect(body.status).toBe(400);
    expect(body.body.error.message).toBe(
      'body: must be empty; the entity is named by the path',
    );
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
