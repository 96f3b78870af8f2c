import {
  CHECK_TITLES,
  EKS_ROLE_ARN_ANNOTATION,
} from '@backstage-irsa/plugin-irsa-common';
import type { CheckEvidence, IrsaCheck } from '../checkTypes';
import { json, q, TEMPLATE_HINT } from './helpers';

// Keys people type instead of eks.amazonaws.com/role-arn.
const ROLE_ARN_TYPO =
  /^(eks\.amazon(aws)?\.com|eks\.aws\.com|amazonaws\.com)\/(role-?arn|rolearn|role_arn|role)$/i;

/** `kubectl annotate ...` for the known, well-formed role ARN; undefined without one. */
function annotateCommand(e: Readonly<CheckEvidence>): string | undefined {
  if (!e.roleArn) return undefined;
  return `kubectl annotate serviceaccount -n ${q(e.namespace)} ${q(e.serviceAccountName)} ${EKS_ROLE_ARN_ANNOTATION}=${q(e.roleArn)} --overwrite`;
}

/** `service-account`: the ServiceAccount exists and is annotated with the role. */
export const serviceAccountCheck: IrsaCheck = {
  id: 'service-account',
  title: CHECK_TITLES['service-account'],
  mechanism: 'irsa',
  reads: ['serviceAccount'],
  run({ evidence: e, read }) {
    const account = read('serviceAccount');
    const ref = `${e.namespace}/${e.serviceAccountName}`;
    const command = annotateCommand(e);
    if (!account) {
      return {
        status: 'fail',
        message: `ServiceAccount ${ref} does not exist`,
        evidence: { serviceAccount: ref },
        remediation: command
          ? `kubectl create serviceaccount -n ${q(e.namespace)} ${q(e.serviceAccountName)} && ${command}`
          : `No role or ServiceAccount yet: ${TEMPLATE_HINT}`,
      };
    }
    const annotation = account.annotations[EKS_ROLE_ARN_ANNOTATION];
    const typos = Object.keys(account.annotations).filter(
      k => k !== EKS_ROLE_ARN_ANNOTATION && ROLE_ARN_TYPO.test(k),
    );
    const evidence = {
      serviceAccount: ref,
      annotations: json(account.annotations),
      expectedRoleArn: e.roleArn ?? null,
    };
    if (!annotation && e.migratingFrom === 'irsa') {
      // Pods on IRSA keep the variables they were given; new ones get Pod Identity.
      return {
        status: 'pass',
        message: `Migrating to Pod Identity: ServiceAccount ${ref} no longer needs ${EKS_ROLE_ARN_ANNOTATION}`,
        evidence,
      };
    }
    if (!annotation) {
      return {
        status: 'fail',
        message: typos.length
          ? `The annotation is misspelt as ${typos.join(', ')}; the webhook only reads ${EKS_ROLE_ARN_ANNOTATION}`
          : `ServiceAccount ${ref} has no ${EKS_ROLE_ARN_ANNOTATION} annotation`,
        evidence,
        remediation:
          command ?? `No role to annotate with yet: ${TEMPLATE_HINT}`,
      };
    }
    if (command && annotation !== e.roleArn) {
      return {
        status: 'fail',
        message: `The ServiceAccount points to ${annotation}, the entity to ${e.roleArn}`,
        evidence,
        remediation: `${command} (or correct irsa.dev/role-arn)`,
      };
    }
    return {
      status: 'pass',
      message: `ServiceAccount ${ref} is annotated with the role`,
      evidence,
    };
  },
};
