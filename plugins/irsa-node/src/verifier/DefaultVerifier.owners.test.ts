import { mockServices } from '@backstage/backend-test-utils';
import {
  createSandboxIrsaService,
  SANDBOX_SCENARIOS,
} from '@backstage-irsa/plugin-irsa-sandbox';
import { DefaultVerifier } from './DefaultVerifier';

const scenario = (id: string) => SANDBOX_SCENARIOS.find(s => s.id === id)!;

async function setup() {
  const { service, sandbox } = await createSandboxIrsaService();
  const verifier = new DefaultVerifier({
    service,
    logger: mockServices.logger.mock(),
  });
  return { sandbox, verifier };
}

const podInjection = (report: {
  checks: Array<{
    id: string;
    remediation?: string;
    evidence: Record<string, unknown>;
  }>;
}) => report.checks.find(c => c.id === 'pod-injection')!;

describe('DefaultVerifier: the owners of pods that need a restart', () => {
  it('reads the owners of the restart-needed pods in one call and names the Deployment to restart', async () => {
    const { sandbox, verifier } = await setup();
    const s = scenario('pods-before-annotation');
    sandbox.controls.resetCalls();
    const report = await verifier.verify({ ...s, trigger: 'manual' });
    const check = podInjection(report);
    expect(check.remediation).toBe(
      'kubectl rollout restart deployment/billing-api -n billing   (or "Restart pods" in the portal)',
    );
    expect(check.evidence.restartNeeded).toEqual([
      'billing-api-6c4b9-7d9f8',
      'billing-api-6c4b9-k2x4q',
    ]);
    expect(check.evidence.owners).toEqual([
      {
        pod: 'billing-api-6c4b9-7d9f8',
        kind: 'Deployment',
        name: 'billing-api',
      },
      {
        pod: 'billing-api-6c4b9-k2x4q',
        kind: 'Deployment',
        name: 'billing-api',
      },
    ]);
    expect(
      sandbox.controls.calls.filter(c => c.operation === 'resolvePodOwners'),
    ).toHaveLength(1);
  });

  it('reads no owners when no pod needs a restart', async () => {
    const { sandbox, verifier } = await setup();
    sandbox.controls.resetCalls();
    const report = await verifier.verify({
      ...scenario('healthy'),
      trigger: 'manual',
    });
    expect(podInjection(report).remediation).toBeUndefined();
    expect(
      sandbox.controls.calls.map(c => c.operation).includes('resolvePodOwners'),
    ).toBe(false);
  });

  it('falls back to the generic advice when the owners cannot be read, without changing the status', async () => {
    const { sandbox, verifier } = await setup();
    const s = scenario('pods-before-annotation');
    sandbox.controls.denyAccess(s.cluster, {
      verb: 'get',
      resource: 'replicasets',
      group: 'apps',
    });
    const report = await verifier.verify({ ...s, trigger: 'manual' });
    const check = podInjection(report);
    expect(check).toMatchObject({ status: 'fail' });
    expect(check.remediation).toBe(
      'kubectl rollout restart deployment -n billing DEPLOYMENT   (the deployment of these pods; or: kubectl delete pod -n billing billing-api-6c4b9-7d9f8 billing-api-6c4b9-k2x4q)',
    );
    expect(check.evidence.owners).toBeUndefined();
  });
});
