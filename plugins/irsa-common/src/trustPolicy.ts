import { InputError } from '@backstage/errors';
import { STS_AUDIENCE } from './annotations';
import { type BuiltPolicy, policySize } from './policySize';
import type { PolicyDocument } from './report';

/** Inputs of {@link buildTrustPolicy}. */
export interface TrustPolicyInput {
  /** `arn:PARTITION:iam::ACCOUNT:oidc-provider/ISSUER` */
  oidcProviderArn: string;
  /** Issuer host/path, with or without `https://`. */
  issuer: string;
  namespace: string;
  serviceAccount: string;
  /** Defaults to `sts.amazonaws.com`. */
  audience?: string;
  /**
   * Under StringEquals a `*` is a literal character; a wildcard subject needs
   * StringLike, which must be asked for explicitly.
   */
  allowWildcardSubject?: boolean;
}

/**
 * The role's trust policy: the cluster's OIDC provider may assume the role
 * with a web identity whose `sub` is exactly this ServiceAccount and whose
 * `aud` is STS.
 */
export function buildTrustPolicy(input: TrustPolicyInput): BuiltPolicy {
  const issuer = input.issuer.replace(/^https:\/\//, '').replace(/\/+$/, '');
  if (!issuer) {
    throw new InputError(
      'issuer: must be the cluster OIDC issuer, got an empty value',
    );
  }
  const subject = `system:serviceaccount:${input.namespace}:${input.serviceAccount}`;
  const wildcard = /[*?]/.test(subject);
  if (wildcard && !input.allowWildcardSubject) {
    throw new InputError(
      'serviceAccount: wildcards (* or ?) are only allowed with allowWildcardSubject, because StringEquals treats them literally',
    );
  }
  const audience = { [`${issuer}:aud`]: input.audience ?? STS_AUDIENCE };
  const subjectCondition = { [`${issuer}:sub`]: subject };
  const document: PolicyDocument = {
    Version: '2012-10-17',
    Statement: [
      {
        Effect: 'Allow',
        Principal: { Federated: input.oidcProviderArn },
        Action: 'sts:AssumeRoleWithWebIdentity',
        Condition: wildcard
          ? { StringEquals: audience, StringLike: subjectCondition }
          : { StringEquals: { ...subjectCondition, ...audience } },
      },
    ],
  };
  return { document, size: policySize(document) };
}
