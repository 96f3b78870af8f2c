import {
  caseOutcome,
  checkResult,
  type CheckCase,
  container,
  coverage,
  expectedOutcome,
  healthyPodIdentity,
  pod,
  podIdentityEnv,
  rebind,
  unreadable,
  valueOf,
} from './__testUtils__/evidence';

const CASES: CheckCase[] = [
  [
    'pass',
    'a Linux EC2 node',
    () => {},
    'All 1 pods run on Linux EC2 nodes, where the Pod Identity agent runs',
  ],
  [
    'fail',
    'a pod on Fargate',
    e => {
      valueOf(e.pods)[0].fargate = true;
    },
    'Pod Identity does not run here, use IRSA: payments-api-1 runs on Fargate',
  ],
  [
    'fail',
    'a pod on a Windows node',
    e => {
      valueOf(e.pods).push(
        pod('payments-api-win', [container(podIdentityEnv())], {
          os: 'windows',
        }),
      );
    },
    'Pod Identity does not run here, use IRSA: payments-api-win runs on a Windows node',
  ],
  [
    'unknown',
    'pods unreadable',
    e => {
      e.pods = unreadable('pods');
    },
    'Could not check: pods failed: unavailable (no usable answer)',
  ],
  [
    'skipped',
    'not bound',
    e => rebind(e, {}),
    'Not shown: role not bound to this entity',
  ],
];

describe('the pod-identity-platform check', () => {
  it.each(CASES)('is %s (%s)', async (status, _name, change, message) => {
    expect(
      await caseOutcome('pod-identity-platform', change, healthyPodIdentity),
    ).toEqual(expectedOutcome(status, message));
  });

  it('has cases for pass, fail or warn, and unknown or skipped', () => {
    expect(coverage(CASES)).toEqual({
      pass: true,
      failOrWarn: true,
      unknownOrSkipped: true,
    });
  });

  it('says to stay on IRSA, naming where, and lists the pods', async () => {
    const result = await checkResult(
      'pod-identity-platform',
      e => {
        valueOf(e.pods)[0].fargate = true;
        valueOf(e.pods).push(
          pod('payments-api-win', [container({})], { os: 'Windows' }),
        );
      },
      healthyPodIdentity,
    );
    expect(result.remediation).toBe(
      "The Pod Identity agent does not run on Fargate and a Windows node: keep this workload on IRSA (the template's mechanism irsa, or aws:irsa:migrate back to IRSA), or schedule it on Linux EC2 nodes",
    );
    expect(result.evidence).toEqual({
      pods: 2,
      unsupported: [
        { pod: 'payments-api-1', where: 'Fargate' },
        { pod: 'payments-api-win', where: 'a Windows node' },
      ],
    });
  });

  it('ignores pods that have finished', async () => {
    const result = await checkResult(
      'pod-identity-platform',
      e => {
        valueOf(e.pods)[0].phase = 'Succeeded';
        valueOf(e.pods)[0].fargate = true;
      },
      healthyPodIdentity,
    );
    expect(result.message).toBe('No running pods yet');
  });
});
