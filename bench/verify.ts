/*
 * Verifying one component on the sandbox with an injected per-call latency
 * L: wall time ÷ L = the dependent round trips (target ≤ 4). The fleet's
 * batched runs have their own benchmark (bench/fleet.ts).
 */
import { silentLogger as logger } from './_support';
import { DefaultVerifier } from '@backstage-irsa/plugin-irsa-node';
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

(async () => {
  await single();
})();
