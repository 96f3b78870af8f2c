import { InputError } from '@backstage/errors';
import { policySize } from './policySize';
import { buildTrustPolicy } from './trustPolicy';

const provider =
  'arn:aws:iam::111122223333:oidc-provider/oidc.eks.eu-west-1.amazonaws.com/id/ABC';
const issuer = 'https://oidc.eks.eu-west-1.amazonaws.com/id/ABC';
const key = 'oidc.eks.eu-west-1.amazonaws.com/id/ABC';

describe('buildTrustPolicy', () => {
  it('pins sub and aud under StringEquals', () => {
    const { document, size } = buildTrustPolicy({
      oidcProviderArn: provider,
      issuer,
      namespace: 'payments',
      serviceAccount: 'api',
    });
    expect(document).toEqual({
      Version: '2012-10-17',
      Statement: [
        {
          Effect: 'Allow',
          Principal: { Federated: provider },
          Action: 'sts:AssumeRoleWithWebIdentity',
          Condition: {
            StringEquals: {
              [`${key}:sub`]: 'system:serviceaccount:payments:api',
              [`${key}:aud`]: 'sts.amazonaws.com',
            },
          },
        },
      ],
    });
    expect(size).toBe(JSON.stringify(document).length);
  });

  it('accepts the issuer without scheme and with a trailing slash', () => {
    const a = buildTrustPolicy({
      oidcProviderArn: provider,
      issuer: `${key}/`,
      namespace: 'n',
      serviceAccount: 's',
    });
    const b = buildTrustPolicy({
      oidcProviderArn: provider,
      issuer,
      namespace: 'n',
      serviceAccount: 's',
    });
    expect(a).toEqual(b);
  });

  it('refuses a wildcard subject unless asked for, then uses StringLike', () => {
    const input = {
      oidcProviderArn: provider,
      issuer,
      namespace: 'payments',
      serviceAccount: '*',
    };
    expect(() => buildTrustPolicy(input)).toThrow(InputError);
    expect(() => buildTrustPolicy(input)).toThrow(/serviceAccount: wildcards/);
    const { document } = buildTrustPolicy({
      ...input,
      allowWildcardSubject: true,
    });
    expect(document.Statement[0].Condition).toEqual({
      StringEquals: { [`${key}:aud`]: 'sts.amazonaws.com' },
      StringLike: { [`${key}:sub`]: 'system:serviceaccount:payments:*' },
    });
  });

  it('uses a custom audience when given', () => {
    const { document } = buildTrustPolicy({
      oidcProviderArn: provider,
      issuer,
      namespace: 'n',
      serviceAccount: 's',
      audience: 'custom',
    });
    expect(document.Statement[0].Condition?.StringEquals?.[`${key}:aud`]).toBe(
      'custom',
    );
  });

  it('rejects an empty issuer naming the field', () => {
    expect(() =>
      buildTrustPolicy({
        oidcProviderArn: provider,
        issuer: 'https://',
        namespace: 'n',
        serviceAccount: 's',
      }),
    ).toThrow(/^issuer:/);
  });
});

describe('policySize', () => {
  it('does not count whitespace inside values', () => {
    expect(
      policySize({
        Version: '2012-10-17',
        Statement: [
          { Sid: 'a b', Effect: 'Allow', Action: '*', Resource: '*' },
        ],
      }),
    ).toBe(
      JSON.stringify({
        Version: '2012-10-17',
        Statement: [
          { Sid: 'a b', Effect: 'Allow', Action: '*', Resource: '*' },
        ],
      }).length - 1,
    );
  });
});
