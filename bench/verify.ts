/*
 * Verifying one component on the sandbox with an injected per-call latency
 * L: wall time ÷ L = the dependent round trips (target ≤ 4), for an IRSA
 * workload and a Pod Identity one (with and without the role ARN on the
 * entity, which the template writes). The fleet's batched runs have their
 * own benchmark (bench/fleet.ts).
 */
import { silentLogger as logger } from './_support';
import {
  DefaultVerifier,
  type VerifyRequest,
} from '@backstage-irsa/plugin-irsa-node';
import {
  createSandboxIrsaService,
  SANDBOX_SCENARIOS,
  SANDBOX_WIRING_SCENARIOS,
} from '@backstage-irsa/plugin-irsa-sandbox';

const LATENCY_MS = 25;

const irsa = SANDBOX_SCENARIOS.find(x => x.id === 'healthy')!;
const podIdentity = SANDBOX_WIRING_SCENARIOS.find(
  x => x.id === 'pod-identity-healthy',
)!;
const WORKLOADS: Array<[string, Omit<VerifyRequest, 'trigger'>]> = [
  ['IRSA', irsa],
  ['Pod Identity, role ARN on the entity', podIdentity],
  [
    'Pod Identity, no role ARN on the entity',
    { ...podIdentity, roleArn: undefined },
  ],
];

async function single() {
  const rows: string[] = [];
  for (const [workload, request] of WORKLOADS) {
    for (const cached of [false, true]) {
      const { service, sandbox } = await createSandboxIrsaService();
      const verifier = new DefaultVerifier({ service, logger });
      if (cached) await service.facts.get(request.cluster);
      sandbox.controls.setLatency(LATENCY_MS);
      sandbox.controls.resetCalls();
      const started = performance.now();
      const report = await verifier.verify({ ...request, trigger: 'manual' });
      const wall = performance.now() - started;
      rows.push(
        `| ${workload} | ${cached ? 'cached' : 'cold'} facts | ${report.status} | ${sandbox.controls.calls.length} | ${wall.toFixed(0)} ms | ${(wall / LATENCY_MS).toFixed(2)} |`,
      );
    }
  }
  console.log(
    `\n### Verify one component (per-call latency L = ${LATENCY_MS} ms)\n`,
  );
  console.log(
    '| workload | cluster facts | status | calls | wall | wall ÷ L (dependent round trips) |',
  );
  console.log('|---|---|---|---|---|---|');
  rows.forEach(r => console.log(r));
}

(async () => {
  await single();
})();
