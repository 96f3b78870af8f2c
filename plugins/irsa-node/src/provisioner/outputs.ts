import {
  ANNOTATION_IRSA_CLUSTER,
  ANNOTATION_IRSA_MECHANISM,
  ANNOTATION_IRSA_ROLE_ARN,
  ANNOTATION_IRSA_SERVICE_ACCOUNT,
} from '@backstage-irsa/plugin-irsa-common';
import type { ProvisionPlan, ProvisionResult } from './provisionTypes';

/**
 * What a plan gives the template, before (dry run) or after apply: the ARNs,
 * the ServiceAccount's and the entity's annotations, and, for Pod Identity,
 * the association found (a dry run has no id for one not created yet).
 */
export function planOutputs(
  plan: ProvisionPlan,
): Omit<ProvisionResult, 'manifest'> {
  const { input } = plan;
  const associationId = plan.association?.existing?.associationId;
  return {
    mechanism: plan.mechanism,
    roleArn: plan.roleArn,
    roleName: plan.roleName,
    ...(plan.permissionsPolicy
      ? { policyArn: plan.permissionsPolicy.arn }
      : {}),
    allowlistPolicyArn: plan.allowlistPolicy.arn,
    serviceAccountAnnotations: plan.serviceAccountAnnotations,
    entityAnnotations: {
      [ANNOTATION_IRSA_CLUSTER]: input.cluster,
      [ANNOTATION_IRSA_SERVICE_ACCOUNT]: `${input.namespace}/${input.serviceAccount}`,
      [ANNOTATION_IRSA_ROLE_ARN]: plan.roleArn,
      [ANNOTATION_IRSA_MECHANISM]: plan.mechanism,
    },
    keptPolicyArns: plan.kept,
    ...(associationId ? { associationId } : {}),
  };
}
