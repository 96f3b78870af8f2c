import { mockApis } from '@backstage/test-utils';
import { IrsaClient, IrsaCooldownError } from './api';

function client(response: Response) {
  const fetch = jest.fn().mockResolvedValue(response);
  const api = new IrsaClient({
    discoveryApi: mockApis.discovery({ baseUrl: 'http://localhost:7007' }),
    fetchApi: { fetch },
  });
  return { api, fetch };
}

const json = (
  body: unknown,
  status = 200,
  headers: Record<string, string> = {},
) =>
  new Response(JSON.stringify(body), {
    status,
    headers: { 'content-type': 'application/json', ...headers },
  });

describe('IrsaClient', () => {
  it('GETs the stored report and maps 404 to undefined', async () => {
    const { api, fetch } = client(
      json({ report: { status: 'pass' }, stale: false }),
    );
    await expect(
      api.getReport('component:default/payments-api'),
    ).resolves.toEqual({ report: { status: 'pass' }, stale: false });
    expect(fetch).toHaveBeenCalledWith(
      'http://localhost:7007/api/irsa/v1/entities/component/default/payments-api',
      undefined,
    );
    const missing = client(
      json({ error: { name: 'NotFoundError', message: 'none' } }, 404),
    );
    await expect(
      missing.api.getReport('component:default/payments-api'),
    ).resolves.toBeUndefined();
  });

  it('POSTs verify and turns 429 into IrsaCooldownError with Retry-After', async () => {
    const { api, fetch } = client(
      json({ error: { name: 'TooManyRequestsError', message: 'wait' } }, 429, {
        'Retry-After': '17',
      }),
    );
    const error = await api
      .verify('component:default/payments-api')
      .catch(e => e);
    expect(error).toBeInstanceOf(IrsaCooldownError);
    expect(error.retryAfterSeconds).toBe(17);
    expect(fetch).toHaveBeenCalledWith(
      'http://localhost:7007/api/irsa/v1/entities/component/default/payments-api/verify',
      { method: 'POST' },
    );
  });

  it('throws ResponseError on other failures and reads history with a limit', async () => {
    const failing = client(
      json({ error: { name: 'NotAllowedError', message: 'denied' } }, 403),
    );
    await expect(
      failing.api.verify('component:default/x'),
    ).rejects.toMatchObject({ name: 'ResponseError', statusCode: 403 });
    const { api, fetch } = client(json({ items: [] }));
    await expect(api.getHistory('component:default/x', 5)).resolves.toEqual({
      items: [],
    });
    expect(fetch).toHaveBeenCalledWith(
      'http://localhost:7007/api/irsa/v1/entities/component/default/x/history?limit=5',
      undefined,
    );
  });

  it('reads twenty history items by default, encodes the entity ref, and throws ResponseError on failure', async () => {
    const items = [
      {
        status: 'fail',
        verifiedAt: '2026-11-24T10:00:00.000Z',
        durationMs: 30,
        trigger: 'manual',
        counts: { pass: 11, warn: 0, fail: 1, unknown: 0, skipped: 0 },
        failingChecks: ['trust-subject'],
      },
    ];
    const { api, fetch } = client(json({ items }));
    await expect(
      api.getHistory('Component:team-a/Payments API'),
    ).resolves.toEqual({ items });
    expect(fetch).toHaveBeenCalledWith(
      'http://localhost:7007/api/irsa/v1/entities/component/team-a/payments%20api/history?limit=20',
      undefined,
    );
    const failing = client(
      json({ error: { name: 'InputError', message: 'limit: bad' } }, 400),
    );
    await expect(
      failing.api.getHistory('component:default/x', 500),
    ).rejects.toMatchObject({ name: 'ResponseError', statusCode: 400 });
  });

  it('POSTs restart with the owners chosen (or none) as JSON', async () => {
    const body = {
      restarted: [],
      failed: [],
      skipped: [],
      verification: { error: 'x' },
    };
    const { api, fetch } = client(json(body));
    await expect(
      api.restartWorkloads('component:default/billing-api', [
        'deployment/billing-api',
      ]),
    ).resolves.toEqual(body);
    expect(fetch).toHaveBeenCalledWith(
      'http://localhost:7007/api/irsa/v1/entities/component/default/billing-api/restart',
      {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: '{"owners":["deployment/billing-api"]}',
      },
    );
    const all = client(json(body));
    await all.api.restartWorkloads('component:default/billing-api');
    expect(all.fetch).toHaveBeenCalledWith(
      'http://localhost:7007/api/irsa/v1/entities/component/default/billing-api/restart',
      {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: '{}',
      },
    );
  });

  it('lists clusters and checks a ServiceAccount with encoded segments, throwing ResponseError on 400', async () => {
    const clusters = {
      items: [
        {
          name: 'sandbox',
          accountId: '111122223333',
          region: 'us-east-1',
          defaultMechanism: 'irsa',
        },
      ],
    };
    const listed = client(json(clusters));
    await expect(listed.api.listClusters()).resolves.toEqual(clusters);
    expect(listed.fetch).toHaveBeenCalledWith(
      'http://localhost:7007/api/irsa/v1/clusters',
    );
    const check = { exists: false, managedByUs: false, namespaceAllowed: true };
    const checked = client(json(check));
    await expect(
      checked.api.checkServiceAccount('sandbox', 'pay ments', 'api/x'),
    ).resolves.toEqual(check);
    expect(checked.fetch).toHaveBeenCalledWith(
      'http://localhost:7007/api/irsa/v1/clusters/sandbox/namespaces/pay%20ments/serviceaccounts/api%2Fx',
    );
    const bad = client(
      json({ error: { name: 'InputError', message: 'namespace: bad' } }, 400),
    );
    await expect(
      bad.api.checkServiceAccount('sandbox', 'X', 'y'),
    ).rejects.toMatchObject({ name: 'ResponseError', statusCode: 400 });
  });
  it('lists the fleet with only the filters given, and the orphans', async () => {
    const fleet = {
      items: [],
      totalItems: 0,
      counts: { pass: 0, warn: 0, fail: 0, unknown: 0, none: 0 },
    };
    const all = client(json(fleet));
    await expect(all.api.listFleet()).resolves.toEqual(fleet);
    expect(all.fetch).toHaveBeenCalledWith(
      'http://localhost:7007/api/irsa/v1/entities',
    );
    const filtered = client(json(fleet));
    await filtered.api.listFleet({
      status: 'fail',
      owner: 'group:default/a b',
      cluster: '',
      offset: 50,
      limit: 25,
    });
    expect(filtered.fetch).toHaveBeenCalledWith(
      'http://localhost:7007/api/irsa/v1/entities?status=fail&owner=group%3Adefault%2Fa+b&offset=50&limit=25',
    );
    const orphans = { items: [], errors: ['Could not list'] };
    const listed = client(json(orphans));
    await expect(listed.api.listOrphans()).resolves.toEqual(orphans);
    expect(listed.fetch).toHaveBeenCalledWith(
      'http://localhost:7007/api/irsa/v1/orphans',
    );
    const denied = client(
      json({ error: { name: 'NotAllowedError', message: 'no' } }, 403),
    );
    await expect(denied.api.listOrphans()).rejects.toMatchObject({
      name: 'ResponseError',
      statusCode: 403,
    });
  });
});
