import { CHECK_TITLES } from '@backstage-irsa/plugin-irsa-common';
import type { IrsaCheck } from '../checkTypes';
import { json, q } from './helpers';

const TEMPLATE =
  'run the IRSA template (aws:irsa:create, mechanism pod-identity) for this entity';

/**
 * `pod-identity-association`: an EKS Pod Identity association exists for
 * the namespace and ServiceAccount and gives pods this role.
 */
export const podIdentityAssociationCheck: IrsaCheck = {
  id: 'pod-identity-association',
  title: CHECK_TITLES['pod-identity-association'],
  mechanism: 'pod-identity',
  reads: ['facts', 'associations', 'serviceAccount'],
  run({ evidence: e, read }) {
    const facts = read('facts');
    const association = read('associations');
    const ref = `${e.namespace}/${e.serviceAccountName}`;
    if (!association) {
      return {
        status: 'fail',
        message: `No Pod Identity association for ServiceAccount ${ref} on ${e.eksClusterName}`,
        evidence: { serviceAccount: ref, cluster: e.eksClusterName },
        remediation: e.roleArn
          ? `aws eks create-pod-identity-association --cluster-name ${q(e.eksClusterName)} --namespace ${q(e.namespace)} --service-account ${q(e.serviceAccountName)} --role-arn ${q(e.roleArn)} --region ${q(facts.region)}, or ${TEMPLATE}`
          : `To create the role and the association, ${TEMPLATE}`,
      };
    }
    const evidence = {
      associationId: association.associationId,
      associationArn: association.associationArn,
      roleArn: association.roleArn,
      expectedRoleArn: e.roleArn ?? null,
      targetRoleArn: association.targetRoleArn ?? null,
      disableSessionTags: association.disableSessionTags,
      createdAt: association.createdAt ?? null,
      ownerArn: association.ownerArn ?? null,
      tags: json(association.tags),
    };
    if (association.roleArn !== e.roleArn) {
      return {
        status: 'fail',
        message: `Association ${association.associationId} gives pods ${association.roleArn}, not ${e.roleArn ?? 'this role'}`,
        evidence,
        remediation: e.roleArn
          ? `aws eks update-pod-identity-association --cluster-name ${q(e.eksClusterName)} --association-id ${q(association.associationId)} --role-arn ${q(e.roleArn)} --region ${q(facts.region)} (or correct irsa.dev/role-arn)`
          : `Set irsa.dev/role-arn, or ${TEMPLATE}`,
      };
    }
    if (!read('serviceAccount')) {
      return {
        status: 'fail',
        message: `Association ${association.associationId} names ServiceAccount ${ref}, which does not exist: no pod can use it`,
        evidence,
        remediation: `kubectl create serviceaccount -n ${q(e.namespace)} ${q(e.serviceAccountName)}`,
      };
    }
    const chained = association.targetRoleArn
      ? `, chained into ${association.targetRoleArn} (cross-account)`
      : '';
    return {
      status: 'pass',
      message: `Association ${association.associationId} gives pods of ${ref} the role${chained}`,
      evidence,
    };
  },
};
