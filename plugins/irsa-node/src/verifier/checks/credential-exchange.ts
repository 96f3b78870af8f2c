import { CHECK_TITLES } from '@backstage-irsa/plugin-irsa-common';
import { GatewayError } from '../../gateways/errors';
import type { IrsaCheck, IrsaCheckOutcome } from '../checkTypes';
import { describeFailure, safeCode } from '../sources';

/** `credential-exchange`: a fresh ServiceAccount token is exchanged for the role. */
export const credentialExchangeCheck: IrsaCheck = {
  id: 'credential-exchange',
  title: CHECK_TITLES['credential-exchange'],
  mechanism: 'irsa',
  dependsOn: [
    'oidc-provider',
    'role',
    'trust-principal',
    'trust-subject',
    'trust-audience',
  ],
  reads: ['exchange'],
  run({ evidence: e, read }): IrsaCheckOutcome {
    const outcome = read('exchange');
    if (outcome instanceof GatewayError) {
      const code = safeCode(outcome.code);
      return {
        status: 'fail',
        message: `AssumeRoleWithWebIdentity was refused: ${code ?? outcome.kind}`,
        evidence: {
          code: code ?? null,
          reason: describeFailure(outcome),
        },
        remediation: `Compare the trust policy with the token: sub system:serviceaccount:${e.namespace}:${e.serviceAccountName}, aud ${e.audience}, Federated = the cluster OIDC provider`,
      };
    }
    return {
      status: 'pass',
      message: `A fresh ServiceAccount token was exchanged for ${outcome.assumedRoleArn}`,
      evidence: {
        assumedRoleArn: outcome.assumedRoleArn,
        subject: outcome.subjectFromWebIdentityToken ?? null,
        audience: outcome.audience ?? null,
      },
    };
  },
};
