import {
  CHECK_TITLES,
  EKS_ROLE_ARN_ANNOTATION,
} from '@backstage-irsa/plugin-irsa-common';
import type { IrsaCheck, IrsaCheckOutcome } from '../checkTypes';
import { q } from './helpers';
import { livePods, migrationProgress, podMechanism } from './podWiring';

/** Why a container with both sets of variables uses IRSA. */
export const SDK_CHAIN_ORDER =
  'the default credential chains of the AWS SDKs for JavaScript v3, Java v2, Python (botocore) and Go v2 try web identity before container credentials';

/**
 * `conflict`: a ServiceAccount wired for both IRSA (the role annotation)
 * and Pod Identity (an association) outside a declared migration.
 *
 * When both exist, the EKS pod identity webhook gives the association
 * precedence and injects only the Pod Identity variables into new pods;
 * older pods keep IRSA's, and a container that carries both sets (set by
 * hand) uses IRSA, from the SDKs' chain order.
 */
export const conflictCheck: IrsaCheck = {
  id: 'conflict',
  title: CHECK_TITLES.conflict,
  mechanism: 'any',
  reads: ['facts', 'serviceAccount', 'associations', 'pods'],
  run({ evidence: e, read }): IrsaCheckOutcome {
    const facts = read('facts');
    const annotated =
      read('serviceAccount')?.annotations[EKS_ROLE_ARN_ANNOTATION];
    const association = read('associations');
    const pods = read('pods');
    const ref = `${e.namespace}/${e.serviceAccountName}`;
    const migration = e.migratingFrom
      ? { from: e.migratingFrom, to: e.mechanism }
      : undefined;
    const progress = migration
      ? migrationProgress(pods, migration.from)
      : undefined;
    const live = livePods(pods);
    const evidence = {
      roleAnnotation: annotated ?? null,
      associationId: association?.associationId ?? null,
      associationRoleArn: association?.roleArn ?? null,
      podsOnIrsa: live.filter(p => podMechanism(p) === 'irsa').length,
      podsOnPodIdentity: live.filter(p => podMechanism(p) === 'pod-identity')
        .length,
      ...(migration && progress
        ? { migration: { ...migration, ...progress } }
        : {}),
    };
    // The owners are read only for restart-needed pods; name no workload here.
    const restart = `"Restart pods" in the portal, or kubectl rollout restart -n ${q(e.namespace)} on the pods' Deployment`;
    const deleteAssociation = association
      ? `aws eks delete-pod-identity-association --cluster-name ${q(e.eksClusterName)} --association-id ${q(association.associationId)} --region ${q(facts.region)}`
      : '';
    if (migration?.to === 'irsa' && association) {
      return {
        status: 'warn',
        message: `Migrating to IRSA, but new pods still get Pod Identity while association ${association.associationId} exists: the EKS webhook prefers it`,
        evidence,
        remediation: `Finish the migration (aws:irsa:migrate, step finish), which deletes the association, or delete it yourself (${deleteAssociation}); then restart the pods (${restart})`,
      };
    }
    if (migration && progress) {
      const to = migration.to === 'irsa' ? 'IRSA' : 'Pod Identity';
      const from = migration.from === 'irsa' ? 'IRSA' : 'Pod Identity';
      if (progress.podsOnOld) {
        return {
          status: 'warn',
          message: `Migrating to ${to}: ${progress.podsOnOld} of ${progress.pods} running pods still on ${from}`,
          evidence,
          remediation: `Restart the pods still on ${from} (${restart}); new pods get ${to}`,
        };
      }
      return {
        status: 'pass',
        message: `Migrating to ${to}: every running pod is on ${to}; finish the migration (aws:irsa:migrate, step finish) to remove what ${from} needed`,
        evidence,
      };
    }
    if (!annotated || !association) {
      let wired = 'neither IRSA nor Pod Identity is wired yet';
      if (annotated) wired = 'only IRSA is wired';
      if (association) wired = 'only Pod Identity is wired';
      return {
        status: 'pass',
        message: `No conflict: ${wired} for ServiceAccount ${ref}`,
        evidence,
      };
    }
    const both = `ServiceAccount ${ref} has both ${EKS_ROLE_ARN_ANNOTATION} and Pod Identity association ${association.associationId}`;
    const removeAnnotation = `kubectl annotate serviceaccount -n ${q(e.namespace)} ${q(e.serviceAccountName)} ${EKS_ROLE_ARN_ANNOTATION}-`;
    return {
      status: 'fail',
      message: `${both}: new pods get Pod Identity, ${evidence.podsOnIrsa} running pods still use IRSA`,
      evidence: { ...evidence, sdkChainOrder: SDK_CHAIN_ORDER },
      remediation: `Keep one. To stay on IRSA: ${deleteAssociation}, then restart the pods (${restart}). To use Pod Identity: ${removeAnnotation}, then restart the pods (or move with aws:irsa:migrate, which keeps both working meanwhile). Until then a container that carries both sets of variables uses IRSA: ${SDK_CHAIN_ORDER}.`,
    };
  },
};
