/*
 * GET report latency: the irsa plugin's stored-report endpoint against the
 * catalog's own entity-by-name endpoint, in the same demo backend, at 50
 * concurrent clients (target: irsa p95 ≤ 1.5 × catalog p95).
 * Then the fleet list (GET /v1/entities) with 5,000 annotated entities in
 * the catalog (target: p95 under 300 ms). BENCH_API_PARTS=report or fleet
 * runs one part.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

const BASE = 'http://localhost:7007';
const CLIENTS = 50;
const REQUESTS_PER_CLIENT = 40;

async function waitFor(
  fn: () => Promise<boolean>,
  what: string,
  seconds = 120,
) {
  for (let i = 0; i < seconds * 2; i++) {
    if (await fn().catch(() => false)) return;
    await sleep(500);
  }
  throw new Error(`timed out waiting for ${what}`);
}

async function load(
  url: string,
  token: string,
  clients = CLIENTS,
  requestsPerClient = REQUESTS_PER_CLIENT,
): Promise<number[]> {
  const times: number[] = [];
  await Promise.all(
    Array.from({ length: clients }, async () => {
      for (let i = 0; i < requestsPerClient; i++) {
        const started = performance.now();
        const response = await fetch(url, {
          headers: { authorization: `Bearer ${token}` },
        });
        await response.arrayBuffer();
        if (response.status !== 200)
          throw new Error(`${url} answered ${response.status}`);
        times.push(performance.now() - started);
      }
    }),
  );
  return times.sort((a, b) => a - b);
}

const pct = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];

/**
 * Starts the demo backend with these extra config files; answers a guest
 * token. Run from source without `backstage-cli package start`, whose file
 * watcher would restart it (and empty its in-memory catalog) whenever a
 * file of the repository changes during the measurement.
 */
async function startBackend(extraConfigs: string[] = [], base = BASE) {
  const backend = spawn(
    process.execPath,
    [
      '--require',
      '../../node_modules/@backstage/cli/config/nodeTransform.cjs',
      'src/index.ts',
      '--config',
      '../../app-config.yaml',
      ...extraConfigs.flatMap(file => ['--config', file]),
    ],
    {
      cwd: 'packages/backend',
      // The guest sign-in of the demo only works in development mode.
      env: { ...process.env, NODE_ENV: 'development' },
      detached: true,
      stdio: 'ignore',
    },
  );
  const stop = () => process.kill(-backend.pid!, 'SIGTERM');
  try {
    await waitFor(
      async () => (await fetch(`${base}/.backstage/health/v1/readiness`)).ok,
      'the backend',
    );
    // The auth plugin may answer a moment after readiness.
    let token = '';
    await waitFor(async () => {
      const refresh = await fetch(`${base}/api/auth/guest/refresh`, {
        headers: { 'x-requested-with': 'XMLHttpRequest' },
      });
      token = refresh.ok ? (await refresh.json()).backstageIdentity.token : '';
      return Boolean(token);
    }, 'a guest token');
    return { token, stop };
  } catch (error) {
    stop();
    throw error;
  }
}

const FLEET_SIZE = 5_000;
// Its own port, so the demo portal (7007) may run beside it.
const FLEET_PORT = 7017;
const FLEET_BASE = `http://localhost:${FLEET_PORT}`;
const FLEET_CLIENTS = 10;
const FLEET_REQUESTS_PER_CLIENT = 20;

/** 5,000 annotated components in one catalog file. */
function fleetCatalog(): string {
  return Array.from(
    { length: FLEET_SIZE },
    (_, i) => `---
apiVersion: backstage.io/v1alpha1
kind: Component
metadata:
  name: fleet-${i}
  annotations:
    irsa.dev/cluster: ${i % 2 ? 'sandbox' : 'sandbox-legacy'}
    irsa.dev/service-account: fleet-${i % 50}/fleet-${i}${i % 4 ? '' : '\n    irsa.dev/mechanism: pod-identity'}
spec:
  type: service
  lifecycle: production
  owner: team-${i % 20}
`,
  ).join('');
}

const row = (name: string, t: number[]) =>
  `| ${name} | ${t.length} | ${pct(t, 50).toFixed(1)} ms | ${pct(t, 95).toFixed(1)} ms | ${pct(t, 99).toFixed(1)} ms |`;

async function benchReportGet() {
  console.log(
    '[bench] starting the demo backend (packages/backend, sandbox, SQLite)',
  );
  const { token, stop } = await startBackend();
  try {
    const irsaUrl = `${BASE}/api/irsa/v1/entities/component/default/payments-api`;
    const catalogUrl = `${BASE}/api/catalog/entities/by-name/component/default/payments-api`;
    console.log('[bench] waiting for the first fleet run to store the report');
    await waitFor(
      async () =>
        (
          await fetch(irsaUrl, {
            headers: { authorization: `Bearer ${token}` },
          })
        ).ok,
      'a stored report',
    );
    await load(catalogUrl, token); // warm both paths once
    await load(irsaUrl, token);
    const rows: string[] = [];
    for (const [name, url] of [
      ['catalog GET entity by name', catalogUrl],
      ['irsa GET stored report', irsaUrl],
    ]) {
      rows.push(row(name, await load(url, token)));
    }
    console.log(
      `\n### GET latency, ${CLIENTS} concurrent clients × ${REQUESTS_PER_CLIENT} requests\n`,
    );
    console.log('| endpoint | requests | p50 | p95 | p99 |');
    console.log('|---|---|---|---|---|');
    rows.forEach(r => console.log(r));
  } finally {
    stop();
  }
}

async function benchFleetList() {
  const dir = await mkdtemp(join(tmpdir(), 'irsa-bench-fleet-'));
  const entities = join(dir, 'fleet.yaml');
  const overlay = join(dir, 'app-config.fleet.yaml');
  await writeFile(entities, fleetCatalog());
  // The scheduled fleet run would verify 5,000 entities during the
  // measurement: it is pushed past the end of the benchmark.
  await writeFile(
    overlay,
    `backend:
  baseUrl: ${FLEET_BASE}
  listen:
    port: ${FLEET_PORT}
catalog:
  locations:
    - type: file
      target: ${resolve('examples/entities.yaml')}
    - type: file
      target: ${entities}
irsa:
  verification:
    schedule:
      frequency: { hours: 24 }
      timeout: { minutes: 10 }
      initialDelay: { hours: 1 }
`,
  );
  console.log(
    `\n[bench] starting the demo backend with ${FLEET_SIZE} more annotated entities`,
  );
  const { token, stop } = await startBackend([overlay], FLEET_BASE);
  try {
    const headers = { authorization: `Bearer ${token}` };
    const fleetUrl = `${FLEET_BASE}/api/irsa/v1/entities`;
    console.log('[bench] waiting for the catalog to hold every entity');
    await waitFor(
      async () => {
        const res = await fetch(`${fleetUrl}?limit=1`, { headers });
        return res.ok && (await res.json()).totalItems >= FLEET_SIZE;
      },
      `${FLEET_SIZE} entities in the fleet list`,
      600,
    );
    // A few demo entities get reports, so the list joins stored summaries too.
    for (const name of ['payments-api', 'inventory-sync', 'orders-worker']) {
      await fetch(
        `${FLEET_BASE}/api/irsa/v1/entities/component/default/${name}/verify`,
        { method: 'POST', headers },
      );
    }
    const urls: Array<[string, string]> = [
      ['irsa GET /v1/entities (first page of 50)', fleetUrl],
      [
        'irsa GET /v1/entities?status=none&owner=team-3&offset=100',
        `${fleetUrl}?status=none&owner=team-3&offset=100`,
      ],
      [
        'irsa GET /v1/entities?mechanism=pod-identity&cluster=sandbox-legacy&limit=500',
        `${fleetUrl}?mechanism=pod-identity&cluster=sandbox-legacy&limit=500`,
      ],
    ];
    await load(fleetUrl, token, FLEET_CLIENTS, 5); // warm
    const rows: string[] = [];
    for (const [name, url] of urls) {
      rows.push(
        row(
          name,
          await load(url, token, FLEET_CLIENTS, FLEET_REQUESTS_PER_CLIENT),
        ),
      );
    }
    console.log(
      `\n### Fleet list over ${FLEET_SIZE} annotated entities, ${FLEET_CLIENTS} concurrent clients × ${FLEET_REQUESTS_PER_CLIENT} requests\n`,
    );
    console.log('| endpoint | requests | p50 | p95 | p99 |');
    console.log('|---|---|---|---|---|');
    rows.forEach(r => console.log(r));
  } finally {
    stop();
    await rm(dir, { recursive: true, force: true });
  }
}

const parts = (process.env.BENCH_API_PARTS ?? 'report,fleet').split(',');

(async () => {
  if (parts.includes('report')) {
    await benchReportGet();
    // The first backend must have released the port.
    await waitFor(
      async () =>
        !(await fetch(`${BASE}/.backstage/health/v1/readiness`).then(
          () => true,
          () => false,
        )),
      'the first backend to stop',
    );
  }
  if (parts.includes('fleet')) await benchFleetList();
})().catch(error => {
  console.error(error);
  process.exit(1);
});
