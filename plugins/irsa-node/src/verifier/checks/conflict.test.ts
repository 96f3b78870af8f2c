import { EKS_ROLE_ARN_ANNOTATION } from '@backstage-irsa/plugin-irsa-common';
import { known, type Evidence } from '../sources';
import {
  ASSOCIATION_ID,
  ROLE_ARN,
  account,
  association,
  caseOutcome,
  checkResult,
  type CheckCase,
  container,
  coverage,
  expectedOutcome,
  healthy,
  healthyPodIdentity,
  irsaEnv,
  pod,
  podIdentityEnv,
  rebindWith,
  unreadable,
  valueOf,
} from './__testUtils__/evidence';

/** An IRSA ServiceAccount that also got a Pod Identity association. */
const both = (e: Evidence) => {
  e.associations = known(association());
  rebindWith(e);
};
/** Both wired, as the migration's first step leaves them, one pod moved. */
const migratingToPodIdentity = (e: Evidence) => {
  both(e);
  account(e).annotations['irsa.dev/migrating-to'] = 'pod-identity';
  e.mechanism = 'pod-identity';
  e.migratingFrom = 'irsa';
  valueOf(e.pods).push(pod('payments-api-2', [container(podIdentityEnv())]));
};

const CASES: CheckCase[] = [
  [
    'pass',
    'IRSA only',
    () => {},
    'No conflict: only IRSA is wired for ServiceAccount payments/payments-api',
  ],
  [
    'fail',
    'both, no migration',
    both,
    'ServiceAccount payments/payments-api has both eks.amazonaws.com/role-arn and Pod Identity association a-0123456789abcdef0: new pods get Pod Identity, 1 running pods still use IRSA',
  ],
  [
    'warn',
    'migrating to Pod Identity, a pod still on IRSA',
    migratingToPodIdentity,
    'Migrating to Pod Identity: 1 of 2 running pods still on IRSA',
  ],
  [
    'pass',
    'migrating to Pod Identity, every pod moved',
    e => {
      migratingToPodIdentity(e);
      valueOf(e.pods).shift();
    },
    'Migrating to Pod Identity: every running pod is on Pod Identity; finish the migration (aws:irsa:migrate, step finish) to remove what IRSA needed',
  ],
  [
    'warn',
    'migrating to IRSA while the association remains',
    e => {
      both(e);
      account(e).annotations['irsa.dev/migrating-to'] = 'irsa';
      e.migratingFrom = 'pod-identity';
    },
    `Migrating to IRSA, but new pods still get Pod Identity while association ${ASSOCIATION_ID} exists: the EKS webhook prefers it`,
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

describe('the conflict check', () => {
  it.each(CASES)('is %s (%s)', async (status, _name, change, message) => {
    expect(await caseOutcome('conflict', change)).toEqual(
      expectedOutcome(status, message),
    );
  });

  it('has cases for pass, fail or warn, and unknown or skipped', () => {
    expect(coverage(CASES)).toEqual({
      pass: true,
      failOrWarn: true,
      unknownOrSkipped: true,
    });
  });

  it('passes a Pod Identity workload', async () => {
    expect(
      (await checkResult('conflict', () => {}, healthyPodIdentity)).message,
    ).toBe(
      'No conflict: only Pod Identity is wired for ServiceAccount payments/payments-api',
    );
  });

  it('says which mechanism the pods use, why, and what to remove for each intent', async () => {
    const result = await checkResult('conflict', both);
    expect(result.remediation).toBe(
      `Keep one. To stay on IRSA: aws eks delete-pod-identity-association --cluster-name prod --association-id ${ASSOCIATION_ID} --region eu-west-1, then restart the pods ("Restart pods" in the portal, or kubectl rollout restart -n payments on the pods' Deployment). To use Pod Identity: kubectl annotate serviceaccount -n payments payments-api ${EKS_ROLE_ARN_ANNOTATION}-, then restart the pods (or move with aws:irsa:migrate, which keeps both working meanwhile). Until then a container that carries both sets of variables uses IRSA: the default credential chains of the AWS SDKs for JavaScript v3, Java v2, Python (botocore) and Go v2 try web identity before container credentials.`,
    );
    expect(result.evidence).toEqual({
      roleAnnotation: ROLE_ARN,
      associationId: ASSOCIATION_ID,
      associationRoleArn: ROLE_ARN,
      podsOnIrsa: 1,
      podsOnPodIdentity: 0,
      sdkChainOrder:
        'the default credential chains of the AWS SDKs for JavaScript v3, Java v2, Python (botocore) and Go v2 try web identity before container credentials',
    });
  });

  it("counts a container with both sets of variables as IRSA's (the SDKs try web identity first)", async () => {
    const result = await checkResult('conflict', e => {
      migratingToPodIdentity(e);
      e.pods = known([
        pod('payments-api-1', [
          container({ ...irsaEnv(), ...podIdentityEnv() }),
        ]),
      ]);
    });
    expect(result.evidence.migration).toEqual({
      from: 'irsa',
      to: 'pod-identity',
      podsOnOld: 1,
      pods: 1,
    });
  });

  it('points a move back to IRSA at the migration step that deletes the association', async () => {
    const result = await checkResult('conflict', e => {
      both(e);
      account(e).annotations['irsa.dev/migrating-to'] = 'irsa';
      e.migratingFrom = 'pod-identity';
    });
    expect(result.remediation).toBe(
      `Finish the migration (aws:irsa:migrate, step finish), which deletes the association, or delete it yourself (aws eks delete-pod-identity-association --cluster-name prod --association-id ${ASSOCIATION_ID} --region eu-west-1); then restart the pods ("Restart pods" in the portal, or kubectl rollout restart -n payments on the pods' Deployment)`,
    );
  });

  it('reports progress when the migration already removed the role annotation', async () => {
    const result = await checkResult(
      'conflict',
      e => {
        account(e).annotations['irsa.dev/migrating-to'] = 'pod-identity';
        e.migratingFrom = 'irsa';
        valueOf(e.pods).push(pod('payments-api-0', [container(irsaEnv())]));
      },
      healthyPodIdentity,
    );
    expect(result).toMatchObject({
      status: 'warn',
      message: 'Migrating to Pod Identity: 1 of 2 running pods still on IRSA',
    });
  });

  it('runs for IRSA and Pod Identity alike', async () => {
    const irsa = await checkResult('conflict', () => {}, healthy);
    expect(irsa.mechanism).toBe('any');
  });
});
