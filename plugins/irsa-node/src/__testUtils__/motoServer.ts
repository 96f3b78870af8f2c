import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';

/*
 * Test-only harness (never exported from the package index): one moto_server
 * per test file, on a free loopback port, killed with its whole process group.
 */

/** A running moto_server. */
export interface MotoServer {
  /** `http://127.0.0.1:PORT`; every AWS service answers on it. */
  endpoint: string;
  /** Forgets every resource (`POST /moto-api/reset`). */
  reset(): Promise<void>;
  /** Kills the process group and waits for it to exit. */
  stop(): Promise<void>;
}

/** moto's default account. */
export const MOTO_ACCOUNT_ID = '123456789012';

const START_TIMEOUT_MS = 20_000;

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

async function answers(endpoint: string): Promise<boolean> {
  try {
    const res = await fetch(`${endpoint}/moto-api/`, {
      signal: AbortSignal.timeout(1000),
    });
    await res.arrayBuffer();
    return res.ok;
  } catch {
    return false;
  }
}

function killGroup(child: ChildProcess, signal: NodeJS.Signals) {
  if (child.pid === undefined) return;
  try {
    // Negative pid: the whole group (moto_server may fork a reloader/worker).
    process.kill(-child.pid, signal);
  } catch {
    // Already gone.
  }
}

/**
 * Sets dummy AWS credentials and region for this test process only (the SDK
 * must never pick up the developer's own), so nothing depends on the shell.
 */
export function useDummyAwsEnvironment(region: string) {
  process.env.AWS_ACCESS_KEY_ID = 'testing';
  process.env.AWS_SECRET_ACCESS_KEY = 'testing';
  process.env.AWS_REGION = region;
  delete process.env.AWS_SESSION_TOKEN;
  delete process.env.AWS_PROFILE;
}

/**
 * Starts `moto_server` on a free loopback port and resolves once it answers.
 * Fails within 20 s with moto's stderr when it does not come up.
 */
export async function startMotoServer(
  options: {
    /** Load the AWS-managed policies (`arn:aws:iam::aws:policy/...`); costs ~3 s on the first IAM call. */
    awsManagedPolicies?: boolean;
  } = {},
): Promise<MotoServer> {
  const port = await freePort();
  const endpoint = `http://127.0.0.1:${port}`;
  const child = spawn('moto_server', ['-H', '127.0.0.1', '-p', String(port)], {
    detached: true,
    stdio: ['ignore', 'ignore', 'pipe'],
    env: {
      ...process.env,
      PYTHONUNBUFFERED: '1',
      MOTO_IAM_LOAD_MANAGED_POLICIES: String(
        Boolean(options.awsManagedPolicies),
      ),
    },
  });
  let stderr = '';
  child.stderr?.on('data', chunk => {
    stderr = (stderr + String(chunk)).slice(-4000);
  });
  // Resolves when the process is gone, or was never there (spawn failed).
  const exited = new Promise<void>(resolve => {
    child.once('exit', () => resolve());
    child.once('error', () => {
      if (child.pid === undefined) resolve();
    });
  });
  let spawnError: Error | undefined;
  child.once('error', error => {
    spawnError = error;
  });
  // Last resort if the test process exits without afterAll (a crash, Ctrl-C).
  const killOnExit = () => killGroup(child, 'SIGKILL');
  process.once('exit', killOnExit);

  const stop = async () => {
    process.off('exit', killOnExit);
    if (child.pid === undefined || child.exitCode !== null || child.signalCode)
      return;
    killGroup(child, 'SIGTERM');
    let timer: NodeJS.Timeout | undefined;
    const gone = await Promise.race([
      exited.then(() => true),
      new Promise<boolean>(resolve => {
        timer = setTimeout(() => resolve(false), 3000);
      }),
    ]);
    clearTimeout(timer);
    if (!gone) {
      killGroup(child, 'SIGKILL');
      await exited;
    }
  };

  const deadline = Date.now() + START_TIMEOUT_MS;
  while (!(await answers(endpoint))) {
    if (spawnError || child.exitCode !== null || Date.now() > deadline) {
      await stop();
      let why = `it did not answer ${endpoint}/moto-api/ within ${START_TIMEOUT_MS / 1000} s`;
      if (spawnError)
        why = `could not run it (${spawnError.message}); install it with: pip install 'moto[server]'`;
      else if (child.exitCode !== null)
        why = `it exited with code ${child.exitCode}`;
      throw new Error(
        `moto_server did not start: ${why}. Its stderr:\n${stderr.trim() || '(empty)'}`,
      );
    }
    await new Promise(resolve => setTimeout(resolve, 100));
  }

  return {
    endpoint,
    async reset() {
      const res = await fetch(`${endpoint}/moto-api/reset`, { method: 'POST' });
      await res.arrayBuffer();
      if (!res.ok) throw new Error(`moto reset failed: HTTP ${res.status}`);
    },
    stop,
  };
}
