import type { PolicyStatement } from '@backstage-irsa/plugin-irsa-common';
import { trustAllowsRequest, type AssumeRequest } from './trust';

const CLUSTER = 'arn:aws:eks:us-east-1:111122223333:cluster/sandbox';
const pods: AssumeRequest = {
  principal: { type: 'Service', id: 'pods.eks.amazonaws.com' },
  action: 'sts:AssumeRole',
  context: {
    'aws:SourceAccount': ['111122223333'],
    'aws:SourceArn': [CLUSTER],
    'aws:RequestTag/kubernetes-namespace': ['ledger'],
    'aws:TagKeys': ['kubernetes-namespace'],
  },
};
const allows = (statement: Partial<PolicyStatement>, request = pods) =>
  trustAllowsRequest(
    {
      Version: '2012-10-17',
      Statement: [
        {
          Effect: 'Allow',
          Principal: { Service: 'pods.eks.amazonaws.com' },
          Action: 'sts:AssumeRole',
          ...statement,
        },
      ],
    },
    request,
  );

describe('the sandbox trust evaluator', () => {
  it('matches ArnEquals and ArnLike component by component, with wildcards', () => {
    expect(
      allows({ Condition: { ArnEquals: { 'aws:SourceArn': CLUSTER } } }),
    ).toBe(true);
    expect(
      allows({
        Condition: {
          ArnLike: { 'aws:SourceArn': 'arn:aws:eks:*:111122223333:cluster/*' },
        },
      }),
    ).toBe(true);
    expect(
      allows({
        Condition: {
          ArnEquals: {
            'aws:SourceArn': 'arn:aws:eks:*:444455556666:cluster/*',
          },
        },
      }),
    ).toBe(false);
    // Not an ARN: six components or no match.
    expect(allows({ Condition: { ArnLike: { 'aws:SourceArn': '*' } } })).toBe(
      false,
    );
  });

  it('keys match case-insensitively; values of StringEquals do not', () => {
    expect(
      allows({
        Condition: {
          StringEquals: { 'AWS:RequestTag/kubernetes-namespace': 'ledger' },
        },
      }),
    ).toBe(true);
    expect(
      allows({
        Condition: {
          StringEquals: { 'aws:RequestTag/kubernetes-namespace': 'Ledger' },
        },
      }),
    ).toBe(false);
    expect(
      allows({
        Condition: {
          StringEqualsIgnoreCase: {
            'aws:RequestTag/kubernetes-namespace': 'Ledger',
          },
        },
      }),
    ).toBe(true);
  });

  it('treats a missing key as false, except under IfExists, a negated operator or ForAllValues', () => {
    const missing = 'aws:RequestTag/kubernetes-pod-name';
    expect(allows({ Condition: { StringEquals: { [missing]: 'x' } } })).toBe(
      false,
    );
    expect(
      allows({ Condition: { StringEqualsIfExists: { [missing]: 'x' } } }),
    ).toBe(true);
    expect(allows({ Condition: { StringNotEquals: { [missing]: 'x' } } })).toBe(
      true,
    );
    expect(allows({ Condition: { Null: { [missing]: 'true' } } })).toBe(true);
    expect(
      allows({
        Condition: { Null: { 'aws:RequestTag/kubernetes-namespace': 'true' } },
      }),
    ).toBe(false);
    expect(
      allows({
        Condition: {
          'ForAllValues:StringEquals': {
            'aws:TagKeys': ['kubernetes-namespace', 'eks-cluster-name'],
          },
        },
      }),
    ).toBe(true);
    expect(
      allows({
        Condition: {
          'ForAllValues:StringEquals': { 'aws:TagKeys': ['other'] },
        },
      }),
    ).toBe(false);
  });

  it('never grants on an operator it does not model', () => {
    expect(
      allows({
        Condition: { DateLessThan: { 'aws:CurrentTime': '2099-01-01' } },
      }),
    ).toBe(false);
  });

  it('matches actions with wildcards and NotAction, and the principal by type', () => {
    expect(allows({ Action: 'sts:Assume*' })).toBe(true);
    expect(allows({ Action: undefined, NotAction: 'sts:TagSession' })).toBe(
      true,
    );
    expect(allows({ Action: undefined, NotAction: 'sts:*' })).toBe(false);
    expect(allows({ Principal: { Federated: 'pods.eks.amazonaws.com' } })).toBe(
      false,
    );
    expect(allows({ Principal: '*' })).toBe(true);
  });

  it('lets an account principal trust its roles, and not another account', () => {
    const role: AssumeRequest = {
      principal: {
        type: 'AWS',
        id: 'arn:aws:iam::111122223333:role/irsa-sandbox-ledger-ledger-api',
      },
      action: 'sts:AssumeRole',
      context: {},
    };
    expect(
      allows({ Principal: { AWS: 'arn:aws:iam::111122223333:root' } }, role),
    ).toBe(true);
    expect(allows({ Principal: { AWS: '111122223333' } }, role)).toBe(true);
    expect(
      allows({ Principal: { AWS: 'arn:aws:iam::444455556666:root' } }, role),
    ).toBe(false);
  });
});
