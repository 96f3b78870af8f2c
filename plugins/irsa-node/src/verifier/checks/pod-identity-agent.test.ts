import { known } from '../sources';
import {
  caseOutcome,
  checkResult,
  type CheckCase,
  coverage,
  expectedOutcome,
  healthyPodIdentity,
  unreadable,
} from './__testUtils__/evidence';

const daemonSet = (desired: number, ready: number) =>
  known({
    kind: 'daemon-set' as const,
    daemonSet: {
      namespace: 'kube-system',
      name: 'eks-pod-identity-agent',
      desiredNumberScheduled: desired,
      numberReady: ready,
      image: 'public.ecr.aws/eks/eks-pod-identity-agent:v0.1.29',
    },
  });
const addon = (status: string) =>
  known({
    kind: 'addon' as const,
    addon: { name: 'eks-pod-identity-agent', status },
  });

const CASES: CheckCase[] = [
  [
    'pass',
    'the add-on is active',
    () => {},
    'The eks-pod-identity-agent add-on is active (v1.3.10-eksbuild.2)',
  ],
  [
    'pass',
    'a self-managed DaemonSet, ready everywhere',
    e => {
      e.agent = daemonSet(3, 3);
    },
    'The self-managed agent DaemonSet kube-system/eks-pod-identity-agent is ready on all 3 nodes',
  ],
  [
    'warn',
    'the add-on is updating',
    e => {
      e.agent = addon('UPDATING');
    },
    'The eks-pod-identity-agent add-on is UPDATING, not ACTIVE',
  ],
  [
    'fail',
    'the add-on is degraded',
    e => {
      e.agent = addon('DEGRADED');
    },
    'The eks-pod-identity-agent add-on is DEGRADED, not ACTIVE',
  ],
  [
    'fail',
    'the DaemonSet is ready on some nodes only',
    e => {
      e.agent = daemonSet(3, 1);
    },
    'The self-managed agent DaemonSet kube-system/eks-pod-identity-agent is ready on 1 of 3 nodes: pods on the others get no credentials',
  ],
  [
    'fail',
    'no agent at all',
    e => {
      e.agent = known({ kind: 'none' });
    },
    'The EKS Pod Identity Agent is not installed on prod: no eks-pod-identity-agent add-on and no kube-system/eks-pod-identity-agent DaemonSet',
  ],
  [
    'unknown',
    'the add-on unreadable',
    e => {
      e.agent = unreadable('Pod Identity agent');
    },
    'Could not check: Pod Identity agent failed: unavailable (no usable answer)',
  ],
];

describe('the pod-identity-agent check', () => {
  it.each(CASES)('is %s (%s)', async (status, _name, change, message) => {
    expect(
      await caseOutcome('pod-identity-agent', change, healthyPodIdentity),
    ).toEqual(expectedOutcome(status, message));
  });

  it('has cases for pass, fail or warn, and unknown or skipped', () => {
    expect(coverage(CASES)).toEqual({
      pass: true,
      failOrWarn: true,
      unknownOrSkipped: true,
    });
  });

  it('gives the create-addon command when no agent runs', async () => {
    const result = await checkResult(
      'pod-identity-agent',
      e => {
        e.agent = known({ kind: 'none' });
      },
      healthyPodIdentity,
    );
    expect(result.remediation).toBe(
      'aws eks create-addon --cluster-name prod --addon-name eks-pod-identity-agent --region eu-west-1',
    );
    expect(result.evidence).toEqual({ kind: 'none' });
  });

  it('is a cluster fact: it runs even when the binding is not proven', async () => {
    const result = await checkResult(
      'pod-identity-agent',
      e => {
        e.requireBinding = true;
        e.binding = known({ proven: false, rules: [] });
      },
      healthyPodIdentity,
    );
    expect(result.status).toBe('pass');
  });
});
