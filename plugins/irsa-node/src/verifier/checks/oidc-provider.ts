import { CHECK_TITLES } from '@backstage-irsa/plugin-irsa-common';
import type { IrsaCheck } from '../checkTypes';
import { json, q } from './helpers';

/** `oidc-provider`: IAM has an OIDC provider for the issuer, listing the audience. */
export const oidcProviderCheck: IrsaCheck = {
  id: 'oidc-provider',
  title: CHECK_TITLES['oidc-provider'],
  mechanism: 'irsa',
  reads: ['facts', 'provider'],
  run({ evidence: e, read }) {
    const facts = read('facts');
    const provider = read('provider');
    const evidence = {
      issuer: facts.issuer,
      expectedProviderArn: facts.oidcProviderArn,
      clientIds: json(provider?.clientIds),
    };
    if (!provider) {
      return {
        status: 'fail',
        message: `No IAM OIDC provider exists for the cluster's issuer ${facts.issuer}`,
        evidence,
        remediation: `Create it: eksctl utils associate-iam-oidc-provider --cluster ${q(facts.cluster)} --region ${q(facts.region)} --approve (or aws iam create-open-id-connect-provider --url ${q(`https://${facts.issuer}`)} --client-id-list ${q(e.audience)})`,
      };
    }
    if (!provider.clientIds.includes(e.audience)) {
      return {
        status: 'fail',
        message: `The OIDC provider does not list the audience ${e.audience}`,
        evidence,
        remediation: `aws iam add-client-id-to-open-id-connect-provider --open-id-connect-provider-arn ${q(provider.arn)} --client-id ${q(e.audience)}`,
      };
    }
    return {
      status: 'pass',
      message: `OIDC provider for ${facts.issuer} exists and lists ${e.audience}`,
      evidence,
    };
  },
};
