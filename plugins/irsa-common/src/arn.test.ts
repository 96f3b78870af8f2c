import { InputError } from '@backstage/errors';
import {
  isRoleArn,
  parseOidcProviderArn,
  parsePolicyArn,
  parseRoleArn,
  partitionOfRegion,
  roleArn,
} from './arn';

describe('parseRoleArn', () => {
  it('splits a role ARN with and without a path', () => {
    expect(
      parseRoleArn('arn:aws:iam::111122223333:role/irsa-a', 'roleArn'),
    ).toEqual({
      partition: 'aws',
      accountId: '111122223333',
      path: '/',
      roleName: 'irsa-a',
    });
    expect(
      parseRoleArn('arn:aws-cn:iam::111122223333:role/irsa/team/x', 'roleArn'),
    ).toEqual({
      partition: 'aws-cn',
      accountId: '111122223333',
      path: '/irsa/team/',
      roleName: 'x',
    });
  });

  it.each([
    'arn:aws:iam::11112222333:role/x',
    'arn:aws:iam::111122223333:user/x',
    'arn:aws:sts::111122223333:role/x',
    'arn:azure:iam::111122223333:role/x',
    `arn:aws:iam::111122223333:role/${'a'.repeat(65)}`,
    'arn:aws:iam::111122223333:role/bad name',
    '',
  ])('rejects %p naming the field', arn => {
    expect(() => parseRoleArn(arn, 'irsa.dev/role-arn')).toThrow(InputError);
    expect(() => parseRoleArn(arn, 'irsa.dev/role-arn')).toThrow(
      /^irsa.dev\/role-arn: must be an IAM role ARN/,
    );
    expect(isRoleArn(arn)).toBe(false);
  });

  it('rejects non-strings', () => {
    expect(() => parseRoleArn(42, 'roleArn')).toThrow(
      'roleArn: must be an IAM role ARN such as arn:aws:iam::123456789012:role/my-role (role name at most 64 of A-Z a-z 0-9 +=,.@_-), got number',
    );
  });
});

describe('parsePolicyArn', () => {
  it('recognises AWS-managed and customer-managed policies', () => {
    expect(
      parsePolicyArn(
        'arn:aws:iam::aws:policy/ReadOnlyAccess',
        'managedPolicyArns[0]',
      ),
    ).toEqual({
      partition: 'aws',
      accountId: 'aws',
      path: '/',
      policyName: 'ReadOnlyAccess',
      awsManaged: true,
    });
    expect(
      parsePolicyArn(
        'arn:aws:iam::aws:policy/service-role/AmazonEKSClusterPolicy',
        'p',
      ).path,
    ).toBe('/service-role/');
    expect(
      parsePolicyArn('arn:aws:iam::111122223333:policy/mine', 'p').awsManaged,
    ).toBe(false);
  });

  it('names the field and the rule', () => {
    expect(() =>
      parsePolicyArn(
        'arn:aws:iam::111122223333:role/x',
        'managedPolicyArns[2]',
      ),
    ).toThrow(/^managedPolicyArns\[2\]: must be a managed policy ARN/);
  });
});

describe('roleArn and partitionOfRegion', () => {
  it('builds ARNs in the right partition', () => {
    expect(
      roleArn({
        partition: partitionOfRegion('cn-north-1'),
        accountId: '111122223333',
        roleName: 'r',
      }),
    ).toBe('arn:aws-cn:iam::111122223333:role/r');
    expect(partitionOfRegion('us-gov-west-1')).toBe('aws-us-gov');
    expect(partitionOfRegion('eu-west-1')).toBe('aws');
    expect(
      roleArn({
        partition: 'aws',
        accountId: '111122223333',
        roleName: 'r',
        path: '/irsa/',
      }),
    ).toBe('arn:aws:iam::111122223333:role/irsa/r');
  });
});

describe('parseOidcProviderArn', () => {
  it('returns the issuer, the condition-key prefix', () => {
    expect(
      parseOidcProviderArn(
        'arn:aws-us-gov:iam::111122223333:oidc-provider/oidc.eks.us-gov-west-1.amazonaws.com/id/ABC123',
        'irsa.clusters[0].oidcProviderArn',
      ),
    ).toEqual({
      partition: 'aws-us-gov',
      accountId: '111122223333',
      issuer: 'oidc.eks.us-gov-west-1.amazonaws.com/id/ABC123',
    });
  });

  it.each([
    'arn:aws:iam::111122223333:role/x',
    'arn:aws:iam::111122223333:oidc-provider/',
    'arn:aws:iam::1111:oidc-provider/host',
    42,
  ])('rejects %p naming the field', arn => {
    expect(() =>
      parseOidcProviderArn(arn, 'irsa.clusters[0].oidcProviderArn'),
    ).toThrow(
      /^irsa\.clusters\[0\]\.oidcProviderArn: must be an IAM OIDC provider ARN/,
    );
  });
});
