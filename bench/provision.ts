/*
 * Provisioning benchmark: with a per-call latency L injected in the sandbox,
 * wall time ÷ (dependent-call critical path × L). Independent calls run
 * concurrently, so the ratio stays near 1 (target ≤ 1.2).
 */
import { ConfigReader } from '@backstage/config';
import { silentLogger as logger } from './_support';
import { DefaultProvisioner } from '@backstage-irsa/plugin-irsa-node';
import { createSandboxIrsaService } from '@backstage-irsa/plugin-irsa-sandbox';

const policy = {
  Version: '2012-10-17',
  Statement: [
    { Effect: 'Allow', Action: 's3:GetObject', Resource: 'arn:aws:s3:::b/*' },
  ],
};

// Dependent calls on the longest path:
//   new role: cluster facts (describeCluster → subnets → NAT gateways and route
//             tables; every other plan read runs meanwhile) → createRole →
//             createPolicy ×2 in parallel → attach ×2 in parallel →
//             waitUntilRoleExists → createServiceAccount                          = 8
//   re-run:   facts cached; role, policies, attachments, ServiceAccount, quotas
//             and RBAC in parallel → getPolicyVersion ×2 in parallel →
//             waitUntilRoleExists                                                  = 3
const CASES = [
  { name: 'new role (cold cluster facts)', path: 8, rerun: false },
  { name: 're-run, nothing to change (facts cached)', path: 3, rerun: true },
];

(async () => {
  console.log('\n### Provision one role\n');
  console.log(
    '| case | L | calls | wall | critical path | wall ÷ (path × L) |',
  );
  console.log('|---|---|---|---|---|---|');
  for (const latency of [10, 25, 50]) {
    for (const c of CASES) {
      const { service, sandbox } = await createSandboxIrsaService();
      const provisioner = DefaultProvisioner.fromConfig({
        service,
        logger,
        config: new ConfigReader({}),
      });
      const input = {
        cluster: 'sandbox',
        namespace: 'shop',
        serviceAccount: 'cart',
        policy,
        entityRef: 'component:default/cart',
        owner: 'group:default/shop',
      };
      if (c.rerun) await provisioner.apply(await provisioner.plan(input));
      sandbox.controls.setLatency(latency);
      sandbox.controls.resetCalls();
      const started = performance.now();
      await provisioner.apply(await provisioner.plan(input));
      const wall = performance.now() - started;
      console.log(
        `| ${c.name} | ${latency} ms | ${sandbox.controls.calls.length} | ${wall.toFixed(0)} ms | ${c.path} | ${(wall / (c.path * latency)).toFixed(2)} |`,
      );
    }
  }
})();
