/*
 * GET report latency: the irsa plugin's stored-report endpoint against the
 * catalog's own entity-by-name endpoint, in the same demo backend, at 50
 * concurrent clients (target: irsa p95 ≤ 1.5 × catalog p95).
 */
import { spawn } from 'node:child_process';
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

async function load(url: string, token: string): Promise<number[]> {
  const times: number[] = [];
  await Promise.all(
    Array.from({ length: CLIENTS }, async () => {
      for (let i = 0; i < REQUESTS_PER_CLIENT; i++) {
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

(async () => {
  console.log(
    '[bench] starting the demo backend (packages/backend, sandbox, SQLite)',
  );
  const backend = spawn(
    process.execPath,
    [
      '../../node_modules/.bin/backstage-cli',
      'package',
      'start',
      '--config',
      '../../app-config.yaml',
    ],
    {
      cwd: 'packages/backend',
      // The guest sign-in of the demo only works in development mode.
      env: { ...process.env, NODE_ENV: 'development' },
      detached: true,
      stdio: 'ignore',
    },
  );
  try {
    await waitFor(
      async () => (await fetch(`${BASE}/.backstage/health/v1/readiness`)).ok,
      'the backend',
    );
    // The auth plugin may answer a moment after readiness.
    let token = '';
    await waitFor(async () => {
      const refresh = await fetch(`${BASE}/api/auth/guest/refresh`, {
        headers: { 'x-requested-with': 'XMLHttpRequest' },
      });
      token = refresh.ok ? (await refresh.json()).backstageIdentity.token : '';
      return Boolean(token);
    }, 'a guest token');
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
      const t = await load(url, token);
      rows.push(
        `| ${name} | ${t.length} | ${pct(t, 50).toFixed(1)} ms | ${pct(t, 95).toFixed(1)} ms | ${pct(t, 99).toFixed(1)} ms |`,
      );
    }
    console.log(
      `\n### GET latency, ${CLIENTS} concurrent clients × ${REQUESTS_PER_CLIENT} requests\n`,
    );
    console.log('| endpoint | requests | p50 | p95 | p99 |');
    console.log('|---|---|---|---|---|');
    rows.forEach(r => console.log(r));
  } finally {
    process.kill(-backend.pid!, 'SIGTERM');
  }
})().catch(error => {
  console.error(error);
  process.exit(1);
});
