import type { PolicyStatement } from '@backstage-irsa/plugin-irsa-common';
import { known } from '../sources';
import {
  association,
  caseOutcome,
  checkResult,
  type CheckCase,
  coverage,
  expectedOutcome,
  healthy,
  healthyPodIdentity,
  role,
  unreadable,
} from './__testUtils__/evidence';
import type { Evidence } from '../sources';

const statement = (e: Evidence): PolicyStatement =>
  role(e).trustPolicy.Statement[0];
const conditions = (e: Evidence) =>
  statement(e).Condition as {
    StringEquals: Record<string, string>;
    ArnEquals: Record<string, string>;
  };
const noSessionTags = (e: Evidence) => {
  e.associations = known({ ...association(), disableSessionTags: true });
};

const CASES: CheckCase[] = [
  [
    'pass',
    'healthy',
    () => {},
    'The trust allows pods.eks.amazonaws.com to assume and tag, for prod and payments/payments-api only',
  ],
  [
    'pass',
    'session tags disabled, no tag conditions',
    e => {
      noSessionTags(e);
      const c = conditions(e);
      delete c.StringEquals['aws:RequestTag/eks-cluster-name'];
      delete c.StringEquals['aws:RequestTag/kubernetes-namespace'];
      delete c.StringEquals['aws:RequestTag/kubernetes-service-account'];
      statement(e).Action = 'sts:AssumeRole';
    },
    'The trust allows pods.eks.amazonaws.com to assume, for prod only (the association disables session tags, so no trust can pin the namespace and ServiceAccount)',
  ],
  [
    'pass',
    'conditions as StringLike patterns',
    e => {
      const c = conditions(e);
      const like = {
        'aws:RequestTag/kubernetes-namespace': 'pay*',
        'aws:RequestTag/kubernetes-service-account': 'payments-*',
      };
      delete c.StringEquals['aws:RequestTag/kubernetes-namespace'];
      delete c.StringEquals['aws:RequestTag/kubernetes-service-account'];
      statement(e).Condition = { ...statement(e).Condition, StringLike: like };
    },
    'The trust allows pods.eks.amazonaws.com to assume and tag, for prod and payments/payments-api only',
  ],
  [
    'fail',
    'an IRSA trust only',
    e => {
      role(e).trustPolicy = role(healthy()).trustPolicy;
    },
    'The trust policy does not trust pods.eks.amazonaws.com: EKS Pod Identity cannot assume the role',
  ],
  [
    'fail',
    'no sts:TagSession',
    e => {
      statement(e).Action = 'sts:AssumeRole';
    },
    'The trust allows sts:AssumeRole but not sts:TagSession: EKS tags every Pod Identity session (unless the association disables session tags), so AssumeRole is denied',
  ],
  [
    'fail',
    'no sts:AssumeRole',
    e => {
      statement(e).Action = ['sts:TagSession'];
    },
    'The trust statement for pods.eks.amazonaws.com lacks sts:AssumeRole',
  ],
  [
    'fail',
    'another namespace pinned',
    e => {
      conditions(e).StringEquals['aws:RequestTag/kubernetes-namespace'] =
        'orders';
    },
    "The trust's conditions refuse this workload: aws:RequestTag/kubernetes-namespace is orders, EKS sends payments",
  ],
  [
    'fail',
    'tag conditions while session tags are disabled',
    noSessionTags,
    'The association disables session tags, yet the trust requires aws:RequestTag/eks-cluster-name, aws:RequestTag/kubernetes-namespace, aws:RequestTag/kubernetes-service-account: no request carries them, so AssumeRole is denied',
  ],
  [
    'warn',
    'no conditions at all',
    e => {
      delete statement(e).Condition;
    },
    'The trust allows pods.eks.amazonaws.com without pinning aws:SourceAccount, aws:RequestTag/eks-cluster-name, aws:RequestTag/kubernetes-namespace, aws:RequestTag/kubernetes-service-account, aws:SourceArn: any association that names this role there can use it',
  ],
  [
    'skipped',
    'the role is gone',
    e => {
      e.role = known(undefined);
    },
    'Skipped: IAM role did not pass',
  ],
  [
    'unknown',
    'association unreadable',
    e => {
      e.associations = unreadable('eks:DescribePodIdentityAssociation');
    },
    'Could not check: eks:DescribePodIdentityAssociation failed: unavailable (no usable answer)',
  ],
];

describe('the pod-identity-trust check', () => {
  it.each(CASES)('is %s (%s)', async (status, _name, change, message) => {
    expect(
      await caseOutcome('pod-identity-trust', change, healthyPodIdentity),
    ).toEqual(expectedOutcome(status, message));
  });

  it('has cases for pass, fail or warn, and unknown or skipped', () => {
    expect(coverage(CASES)).toEqual({
      pass: true,
      failOrWarn: true,
      unknownOrSkipped: true,
    });
  });

  it('gives the statement to use, pinned to this cluster, namespace and ServiceAccount', async () => {
    const result = await checkResult(
      'pod-identity-trust',
      e => {
        statement(e).Action = 'sts:AssumeRole';
      },
      healthyPodIdentity,
    );
    expect(JSON.parse(result.remediation!.replace(/^[^{]*/, ''))).toEqual({
      Sid: 'EksPodIdentity',
      Effect: 'Allow',
      Principal: { Service: 'pods.eks.amazonaws.com' },
      Action: ['sts:AssumeRole', 'sts:TagSession'],
      Condition: {
        StringEquals: {
          'aws:SourceAccount': '111122223333',
          'aws:RequestTag/eks-cluster-name': 'prod',
          'aws:RequestTag/kubernetes-namespace': 'payments',
          'aws:RequestTag/kubernetes-service-account': 'payments-api',
        },
        ArnEquals: {
          'aws:SourceArn': 'arn:aws:eks:eu-west-1:111122223333:cluster/prod',
        },
      },
    });
    expect(result.evidence.missingActions).toEqual(['sts:TagSession']);
  });

  it('accepts the actions through wildcards, and judges the best of several statements', async () => {
    const result = await checkResult(
      'pod-identity-trust',
      e => {
        const good = statement(e);
        good.Action = 'sts:*';
        role(e).trustPolicy.Statement = [
          { ...good, Action: 'sts:AssumeRole', Condition: undefined },
          good,
        ];
      },
      healthyPodIdentity,
    );
    expect(result.status).toBe('pass');
  });
});
