import { known } from '../sources';
import {
  caseOutcome,
  checkResult,
  type CheckCase,
  container,
  coverage,
  expectedOutcome,
  healthyPodIdentity,
  irsaEnv,
  pod,
  podIdentityEnv,
  rebindWith,
  unreadable,
  valueOf,
} from './__testUtils__/evidence';
import type { Evidence } from '../sources';

const BEFORE = '2026-11-27T00:00:10.000Z'; // the association: 00:00:30
const migrating = (e: Evidence) => {
  e.migratingFrom = 'irsa';
};
const olderIrsaPod = (e: Evidence) => {
  valueOf(e.pods).push(
    pod('payments-api-0', [container(irsaEnv())], {
      creationTimestamp: BEFORE,
    }),
  );
};

const CASES: CheckCase[] = [
  [
    'pass',
    'healthy',
    () => {},
    'All 1 pods have AWS_CONTAINER_CREDENTIALS_FULL_URI and AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE',
  ],
  [
    'pass',
    'a sidecar the pod excludes with eks.amazonaws.com/skip-containers',
    e => {
      const [p] = valueOf(e.pods);
      p.containers.push(container({}, { name: 'log-router' }));
      p.annotations['eks.amazonaws.com/skip-containers'] = 'log-router';
    },
    'All 1 pods have AWS_CONTAINER_CREDENTIALS_FULL_URI and AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE',
  ],
  [
    'pass',
    'no running pods',
    e => {
      e.pods = known([]);
    },
    'No running pods yet; pods started from now on get the Pod Identity variables',
  ],
  [
    'fail',
    'a pod older than the association',
    olderIrsaPod,
    'Restart needed: payments-api-0 started before the Pod Identity association and have no AWS_CONTAINER_CREDENTIALS_FULL_URI',
  ],
  [
    'fail',
    'a pod started after the association without the variables',
    e => {
      valueOf(e.pods)[0].containers[0].env = {};
    },
    'payments-api-1 started after the association but have no AWS_CONTAINER_CREDENTIALS_FULL_URI: EKS did not inject the Pod Identity variables',
  ],
  [
    'warn',
    'migrating from IRSA, one pod still on it',
    e => {
      migrating(e);
      olderIrsaPod(e);
    },
    'Migrating to Pod Identity: 1 of 2 pods still on IRSA (payments-api-0); restart them to move them',
  ],
  [
    'skipped',
    'no association',
    e => {
      e.associations = known(undefined);
      rebindWith(e);
    },
    'Skipped: Pod Identity association did not pass',
  ],
  [
    'unknown',
    'pods unreadable',
    e => {
      e.pods = unreadable('pods');
    },
    'Could not check: pods failed: unavailable (no usable answer)',
  ],
];

describe('the pod-identity-injection check', () => {
  it.each(CASES)('is %s (%s)', async (status, _name, change, message) => {
    expect(
      await caseOutcome('pod-identity-injection', change, healthyPodIdentity),
    ).toEqual(expectedOutcome(status, message));
  });

  it('has cases for pass, fail or warn, and unknown or skipped', () => {
    expect(coverage(CASES)).toEqual({
      pass: true,
      failOrWarn: true,
      unknownOrSkipped: true,
    });
  });

  it('names the pods to restart and their workload, as the Restart button reads them', async () => {
    const result = await checkResult(
      'pod-identity-injection',
      e => {
        olderIrsaPod(e);
        e.podOwners = known([
          {
            pod: 'payments-api-0',
            found: true,
            serviceAccountName: 'payments-api',
            owner: { kind: 'Deployment', name: 'payments-api' },
          },
        ]);
      },
      healthyPodIdentity,
    );
    expect(result.evidence.restartNeeded).toEqual(['payments-api-0']);
    expect(result.evidence.owners).toEqual([
      { pod: 'payments-api-0', kind: 'Deployment', name: 'payments-api' },
    ]);
    expect(result.remediation).toBe(
      'kubectl rollout restart deployment/payments-api -n payments   (or "Restart pods" in the portal)',
    );
  });

  it('lists pods still on IRSA during a migration for a restart too', async () => {
    const result = await checkResult(
      'pod-identity-injection',
      e => {
        migrating(e);
        olderIrsaPod(e);
      },
      healthyPodIdentity,
    );
    expect(result.evidence.restartNeeded).toEqual(['payments-api-0']);
    expect(result.evidence.onIrsa).toEqual(['payments-api-0']);
  });

  it('leaves pods on Fargate or Windows to the platform check', async () => {
    const result = await checkResult(
      'pod-identity-injection',
      e => {
        valueOf(e.pods).push(
          pod('payments-api-fargate', [container({})], { fargate: true }),
        );
      },
      healthyPodIdentity,
    );
    expect(result.status).toBe('pass');
  });

  it('judges only the pods still on Pod Identity while migrating to IRSA', async () => {
    const result = await checkResult(
      'pod-identity-injection',
      e => {
        e.mechanism = 'irsa';
        e.migratingFrom = 'pod-identity';
        valueOf(e.pods).push(pod('payments-api-2', [container(irsaEnv())]));
      },
      healthyPodIdentity,
    );
    expect(result.message).toBe(
      'All 1 pods have AWS_CONTAINER_CREDENTIALS_FULL_URI and AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE',
    );
    expect(
      (result.evidence.pods as Array<{ name: string }>).map(p => p.name),
    ).toEqual(['payments-api-1']);
  });

  it('assumes a pod older than an association whose creation time is unknown', async () => {
    const result = await checkResult(
      'pod-identity-injection',
      e => {
        const detail = valueOf(e.associations)!;
        delete detail.createdAt;
        valueOf(e.pods)[0].containers[0].env = {};
      },
      healthyPodIdentity,
    );
    expect(result.message).toBe(
      'Restart needed: payments-api-1 started before the Pod Identity association and have no AWS_CONTAINER_CREDENTIALS_FULL_URI',
    );
  });
});

describe('the pod-injection check during a migration', () => {
  it('leaves pods already on Pod Identity to the Pod Identity check', async () => {
    const result = await checkResult('pod-injection', e => {
      e.mechanism = 'pod-identity';
      e.migratingFrom = 'irsa';
      valueOf(e.pods).push(
        pod('payments-api-2', [container(podIdentityEnv())]),
      );
    });
    expect(result).toMatchObject({
      status: 'pass',
      message: 'All 1 pods have AWS_ROLE_ARN and AWS_WEB_IDENTITY_TOKEN_FILE',
    });
  });

  it('counts pods still on Pod Identity while migrating to IRSA', async () => {
    const result = await checkResult('pod-injection', e => {
      e.migratingFrom = 'pod-identity';
      valueOf(e.pods).push(
        pod('payments-api-2', [container(podIdentityEnv())]),
      );
    });
    expect(result).toMatchObject({
      status: 'warn',
      message:
        'Migrating to IRSA: 1 of 2 pods still on Pod Identity (payments-api-2); restart them to move them',
      evidence: { restartNeeded: ['payments-api-2'] },
    });
  });
});
