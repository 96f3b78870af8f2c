import {
  CHECK_TITLES,
  POD_IDENTITY_SERVICE_PRINCIPAL,
  parseRoleArn,
} from '@backstage-irsa/plugin-irsa-common';
import type { IrsaCheck, IrsaCheckOutcome } from '../checkTypes';
import { describeFailure, safeCode } from '../sources';

/** What stands as the proof while the exchange is not run. */
const PROVEN_INSTEAD =
  'proven instead: the association gives this ServiceAccount the role, the trust lets EKS assume it for this workload, and the agent runs';

/** The role an STS assumed-role ARN (`arn:P:sts::ACCOUNT:assumed-role/NAME/SESSION`) stands for. */
function assumedRole(
  arn: string,
): { accountId: string; name: string } | undefined {
  const match = /^arn:[a-z-]+:sts::(\d{12}):assumed-role\/([^/]+)\/[^/]+$/.exec(
    arn,
  );
  return match ? { accountId: match[1], name: match[2] } : undefined;
}

/**
 * `pod-identity-exchange`: a token bound to one running pod of the
 * ServiceAccount (audience pods.eks.amazonaws.com) is exchanged with
 * eks-auth:AssumeRoleForPodIdentity for this role. Opt-in
 * (irsa.verification.podIdentityExchange): AWS documents the API as used
 * only by the EKS Pod Identity Agent.
 */
export const podIdentityExchangeCheck: IrsaCheck = {
  id: 'pod-identity-exchange',
  title: CHECK_TITLES['pod-identity-exchange'],
  mechanism: 'pod-identity',
  dependsOn: [
    'role',
    'pod-identity-agent',
    'pod-identity-association',
    'pod-identity-trust',
  ],
  reads: ['podIdentityExchange', 'associations'],
  run({ evidence: e, read }): IrsaCheckOutcome {
    const outcome = read('podIdentityExchange');
    if (outcome.kind === 'disabled') {
      return {
        status: 'skipped',
        message: `Not run: AWS reserves eks-auth:AssumeRoleForPodIdentity for the EKS Pod Identity Agent, so calling it from Backstage is opt-in (irsa.verification.podIdentityExchange, and eks-auth:AssumeRoleForPodIdentity for Backstage's identity); ${PROVEN_INSTEAD}`,
        evidence: { reason: 'disabled' },
      };
    }
    if (outcome.kind === 'no-running-pod') {
      return {
        status: 'skipped',
        message: `Not run: no running pod of ${e.namespace}/${e.serviceAccountName} to bind a token to (EKS Auth only accepts pod-bound tokens); ${PROVEN_INSTEAD}`,
        evidence: { reason: 'no-running-pod' },
      };
    }
    if (outcome.kind === 'refused') {
      const code = safeCode(outcome.error.code);
      return {
        status: 'fail',
        message: `AssumeRoleForPodIdentity was refused: ${code ?? outcome.error.kind}`,
        evidence: {
          pod: outcome.pod,
          code: code ?? null,
          reason: describeFailure(outcome.error),
        },
        remediation: `Compare the trust with what EKS sends: Service ${POD_IDENTITY_SERVICE_PRINCIPAL}, sts:AssumeRole and sts:TagSession, session tags kubernetes-namespace=${e.namespace} and kubernetes-service-account=${e.serviceAccountName}; and check that Backstage's identity may call eks-auth:AssumeRoleForPodIdentity on ${e.eksClusterName}`,
      };
    }
    const { identity, pod } = outcome;
    const evidence = {
      pod,
      assumedRoleArn: identity.assumedRoleArn,
      associationId: identity.associationId ?? null,
      subject: identity.subject
        ? `${identity.subject.namespace ?? '?'}/${identity.subject.serviceAccount ?? '?'}`
        : null,
      audience: identity.audience ?? null,
    };
    // Cross-account, EKS chains from the association's role into its target.
    const target = read('associations')?.targetRoleArn;
    const assumed = assumedRole(identity.assumedRoleArn);
    const isAssumed = (arn: string | undefined) => {
      if (!arn || !assumed) return false;
      const parts = parseRoleArn(arn, 'role ARN');
      return (
        parts.accountId === assumed.accountId && parts.roleName === assumed.name
      );
    };
    if (!isAssumed(e.roleArn) && !isAssumed(target)) {
      return {
        status: 'fail',
        message: `EKS Auth handed out ${identity.assumedRoleArn}, not ${e.roleArn ?? 'this role'}`,
        evidence,
        remediation:
          "The association gives pods another role: point it at this entity's role (pod-identity-association shows the command)",
      };
    }
    return {
      status: 'pass',
      message: `A token bound to pod ${pod} was exchanged for ${identity.assumedRoleArn}`,
      evidence,
    };
  },
};
