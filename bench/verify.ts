/*
 * Verification benchmarks on the sandbox with an injected per-call latency L.
 * 1. One component: wall time ÷ L = the dependent round trips (target ≤ 4).
 * 2. A fleet of 990 components (the account quota of 1,000 roles minus the seeded ones): AWS/Kubernetes calls per component against
 *    the minimum the checks need, cluster facts fetched once per cluster.
 */
import { ConfigReader } from '@backstage/config';
import { silentLogger as logger } from './_support';
import {
  DefaultProvisioner,
  DefaultVerifier,
} from '@backstage-irsa/plugin-irsa-node';
import {
  createSandboxIrsaService,
  SANDBOX_SCENARIOS,
} from '@backstage-irsa/plugin-irsa-sandbox';

const LATENCY_MS = 25;

async function single() {
  const rows: string[] = [];
  for (const cached of [false, true]) {
    const { service, sandbox } = await createSandboxIrsaService();
    const verifier = new DefaultVerifier({ service, logger });
    const s = SANDBOX_SCENARIOS.find(x => x.id === 'healthy')!;
    if (cached) await service.facts.get(s.cluster);
    sandbox.controls.setLatency(LATENCY_MS);
    sandbox.controls.resetCalls();
    const started = performance.now();
    const report = await verifier.verify({ ...s, trigger: 'manual' });
    const wall = performance.now() - started;
    rows.push(
      `| ${cached ? 'cached' : 'cold'} facts | ${report.status} | ${sandbox.controls.calls.length} | ${wall.toFixed(0)} ms | ${(wall / LATENCY_MS).toFixed(2)} |`,
    );
  }
  console.log(
    `\n### Verify one component (per-call latency L = ${LATENCY_MS} ms)\n`,
  );
  console.log(
    '| cluster facts | status | calls | wall | wall ÷ L (dependent round trips) |',
  );
  console.log('|---|---|---|---|---|');
  rows.forEach(r => console.log(r));
}

async function fleet(size: number, concurrency: number) {
  const { service, sandbox } = await createSandboxIrsaService();
  const provisioner = DefaultProvisioner.fromConfig({
    service,
    logger,
    config: new ConfigReader({}),
  });
  const policy = {
    Version: '2012-10-17',
    Statement: [
      {
        Effect: 'Allow',
        Action: 's3:GetObject',
        Resource: 'arn:aws:s3:::fleet/*',
      },
    ],
  };
  const workloads: Array<{
    cluster: string;
    namespace: string;
    serviceAccount: string;
  }> = [];
  for (let i = 0; i < size; i++) {
    const w = {
      cluster: 'sandbox',
      namespace: `team-${i % 50}`,
      serviceAccount: `svc-${i}`,
    };
    await provisioner.apply(
      await provisioner.plan({
        ...w,
        policy,
        entityRef: `component:default/svc-${i}`,
        owner: 'group:default/fleet',
      }),
    );
    sandbox.controls.createPod(w.cluster, w.namespace, {
      name: `svc-${i}-a`,
      serviceAccountName: w.serviceAccount,
    });
    workloads.push(w);
  }
  const verifier = new DefaultVerifier({ service, logger });
  sandbox.controls.resetCalls();
  const started = performance.now();
  const facts = await service.facts.get('sandbox', { refresh: true });
  const queue = [...workloads];
  const statuses: Record<string, number> = {};
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      for (let w = queue.shift(); w; w = queue.shift()) {
        const report = await verifier.verify(
          { ...w, trigger: 'schedule' },
          { facts },
        );
        statuses[report.status] = (statuses[report.status] ?? 0) + 1;
      }
    }),
  );
  const wall = performance.now() - started;
  const calls = sandbox.controls.calls;
  const byOp = (op: string) => calls.filter(c => c.operation === op).length;
  // What the checks need per component: role, its 2 managed policies (get + version),
  // the attached/inline lists, the OIDC provider, ServiceAccount, pods, token,
  // exchange, CloudTrail = 13; plus the cluster facts once (7 calls).
  const minimum = size * 13 + 7;
  console.log(
    `\n### Fleet of ${size} components, concurrency ${concurrency}, no latency\n`,
  );
  console.log(
    '| components | statuses | total calls | minimum | ratio | describeCluster calls | wall | throttling errors |',
  );
  console.log('|---|---|---|---|---|---|---|---|');
  console.log(
    `| ${size} | ${JSON.stringify(statuses)} | ${calls.length} | ${minimum} | ${(calls.length / minimum).toFixed(3)} | ${byOp('describeCluster')} | ${wall.toFixed(0)} ms | ${calls.filter(c => c.error === 'GatewayError' && c.operation).length} |`,
  );
}

(async () => {
  await single();
  // IAM's default quota is 1,000 roles per account; the sandbox seeds 7.
  await fleet(990, 8);
})();
