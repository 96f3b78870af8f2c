// Starts the demo portal exactly as the README's first command does
// (`backstage-cli repo start` on app-config.yaml), plus optional overlays,
// and waits until both the backend and the frontend answer.
import { spawn } from 'node:child_process';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

export const APP_URL = 'http://localhost:3000';
export const BACKEND_URL = 'http://localhost:7007';

async function answers(url) {
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(2000) });
    return response.ok;
  } catch {
    return false;
  }
}

export async function startPortal({ overlays = [], log }) {
  if (
    (await answers(APP_URL)) ||
    (await answers(`${BACKEND_URL}/.backstage/health/v1/liveness`))
  ) {
    throw new Error(
      'Ports 3000/7007 are already in use: stop the running portal first',
    );
  }
  const configArgs = ['app-config.yaml', ...overlays].flatMap(f => [
    '--config',
    path.resolve(f),
  ]);
  log(`starting the portal: backstage-cli repo start ${configArgs.join(' ')}`);
  const child = spawn(
    process.execPath,
    ['node_modules/.bin/backstage-cli', 'repo', 'start', ...configArgs],
    {
      detached: true, // own process group, so stop() ends the app and backend too
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, BROWSER: 'none', FORCE_COLOR: '0' },
    },
  );
  let output = '';
  child.stdout.on('data', chunk => (output += chunk));
  child.stderr.on('data', chunk => (output += chunk));
  let exited = false;
  child.on('exit', () => (exited = true));

  const stop = async () => {
    if (exited) return;
    try {
      process.kill(-child.pid, 'SIGTERM');
    } catch {
      return;
    }
    for (let i = 0; i < 40 && !exited; i++) await sleep(250);
    if (!exited) process.kill(-child.pid, 'SIGKILL');
  };

  const started = Date.now();
  const ready = { backend: false, app: false };
  while (!(ready.backend && ready.app)) {
    if (exited)
      throw new Error(
        `the portal exited during start:\n${output.slice(-4000)}`,
      );
    if (Date.now() - started > 300_000) {
      await stop();
      throw new Error(
        `the portal did not answer within 300 s:\n${output.slice(-4000)}`,
      );
    }
    await sleep(1000);
    if (
      !ready.backend &&
      (await answers(`${BACKEND_URL}/.backstage/health/v1/readiness`))
    ) {
      ready.backend = true;
      log(`backend ready after ${Math.round((Date.now() - started) / 1000)} s`);
    }
    if (!ready.app && (await answers(APP_URL))) {
      ready.app = true;
      log(
        `frontend ready after ${Math.round((Date.now() - started) / 1000)} s`,
      );
    }
  }
  return { stop, output: () => output };
}
