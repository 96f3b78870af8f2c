import type { IrsaCheckOutcome } from '../checkTypes';
import { known, type Evidence } from '../sources';
import {
  caseOutcome,
  type CheckCase,
  container,
  coverage,
  expectedOutcome,
  healthy,
  unreadable,
  valueOf,
} from './__testUtils__/evidence';
import { podInjectionCheck } from './pod-injection';

const CASES: CheckCase[] = [
  [
    'pass',
    'healthy',
    () => {},
    'All 1 pods have AWS_ROLE_ARN and AWS_WEB_IDENTITY_TOKEN_FILE',
  ],
  [
    'fail',
    'started before the annotation',
    e => {
      valueOf(e.pods)[0].containers[0].env = {};
    },
    'Restart needed: payments-api-1 started before the ServiceAccount was annotated and have no (or an old) AWS_ROLE_ARN',
  ],
  [
    'pass',
    'a sidecar the pod excludes with eks.amazonaws.com/skip-containers',
    e => {
      const [p] = valueOf(e.pods);
      p.containers.push(container({}, { name: 'istio-proxy' }));
      p.annotations['eks.amazonaws.com/skip-containers'] = 'istio-proxy, other';
    },
    'All 1 pods have AWS_ROLE_ARN and AWS_WEB_IDENTITY_TOKEN_FILE',
  ],
  [
    'fail',
    'a sidecar without the variables that the pod does not exclude',
    e => {
      valueOf(e.pods)[0].containers.push(
        container({}, { name: 'istio-proxy' }),
      );
    },
    'Restart needed: payments-api-1 started before the ServiceAccount was annotated and have no (or an old) AWS_ROLE_ARN',
  ],
  [
    'unknown',
    'unreadable',
    e => {
      e.pods = unreadable('pods');
    },
    'Could not check: pods failed: unavailable (no usable answer)',
  ],
  [
    'skipped',
    'ServiceAccount failed',
    e => {
      e.serviceAccount = known(undefined);
    },
    'Skipped: ServiceAccount annotation did not pass',
  ],
];

describe('the pod-injection check', () => {
  it.each(CASES)('is %s (%s)', async (status, _name, change, message) => {
    expect(await caseOutcome('pod-injection', change)).toEqual(
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
});

describe('pod-injection remediation names the owners', () => {
  const staleEvidence = () => {
    const e = healthy();
    const pods = valueOf(e.pods);
    pods[0].containers[0].env = {};
    pods.push(
      { ...structuredClone(pods[0]), name: 'ledger-0', uid: 'pod-2' },
      { ...structuredClone(pods[0]), name: 'debug', uid: 'pod-3' },
      { ...structuredClone(pods[0]), name: 'migrate-x1', uid: 'pod-4' },
    );
    return e;
  };
  const run = (e: Evidence) =>
    podInjectionCheck.run({
      evidence: e,
      read: source => valueOf<unknown>(e[source]) as never,
      dependencies: {},
    }) as IrsaCheckOutcome;

  it('restarts the Deployment and StatefulSet, and deletes the pods no rollout replaces', () => {
    const e = staleEvidence();
    e.podOwners = known([
      {
        pod: 'payments-api-1',
        found: true,
        serviceAccountName: 'payments-api',
        owner: { kind: 'Deployment', name: 'payments-api' },
      },
      {
        pod: 'ledger-0',
        found: true,
        serviceAccountName: 'payments-api',
        owner: { kind: 'StatefulSet', name: 'ledger' },
      },
      { pod: 'debug', found: true, serviceAccountName: 'payments-api' },
      {
        pod: 'migrate-x1',
        found: true,
        serviceAccountName: 'payments-api',
        owner: { kind: 'Job', name: 'migrate' },
      },
    ]);
    const outcome = run(e);
    expect(outcome.remediation).toBe(
      'kubectl rollout restart deployment/payments-api statefulset/ledger -n payments   (or "Restart pods" in the portal); then kubectl delete pod -n payments debug migrate-x1   (no Deployment, StatefulSet or DaemonSet replaces these: start them again after)',
    );
    expect(outcome.evidence?.restartNeeded).toEqual([
      'payments-api-1',
      'ledger-0',
      'debug',
      'migrate-x1',
    ]);
  });

  it('gives the generic advice when the owners were not read', () => {
    const e = staleEvidence();
    e.podOwners = unreadable('pod owners');
    expect(run(e).remediation).toBe(
      'kubectl rollout restart deployment -n payments DEPLOYMENT   (the deployment of these pods; or: kubectl delete pod -n payments payments-api-1 ledger-0 debug migrate-x1)',
    );
  });
});
