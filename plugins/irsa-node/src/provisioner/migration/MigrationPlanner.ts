import {
  ConflictError,
  InputError,
  NotAllowedError,
  NotFoundError,
} from '@backstage/errors';
import {
  ANNOTATION_IRSA_MIGRATING_TO,
  EKS_AUDIENCE_ANNOTATION,
  EKS_ROLE_ARN_ANNOTATION,
  IDENTITY_MECHANISMS,
  POD_IDENTITY_AGENT_ADDON,
  buildPodIdentityTrustStatement,
  buildTrustPolicy,
  defaultRoleName,
  policySize,
  type IdentityMechanism,
  type PolicyDocument,
} from '@backstage-irsa/plugin-irsa-common';
import { isGatewayError } from '../../gateways/errors';
import type {
  AwsTarget,
  PodIdentityAssociationInfo,
  RoleInfo,
  ServiceAccountInfo,
} from '../../gateways/types';
import type {
  ClusterFacts,
  IrsaCluster,
  IrsaService,
} from '../../service/types';
import {
  checkNamespace,
  validateEntityRef,
  validateNamespace,
  validateRoleName,
  validateServiceAccountName,
} from '../input';
import {
  OWNERSHIP,
  describeAdoption,
  ownershipFromServiceAccount,
  ownershipFromTags,
} from '../ownership';
import type { Log } from '../provisionTypes';
import type { ProvisioningSettings } from '../settings';
import {
  associationLookup,
  findPodIdentityAssociation,
  podIdentityTrustInput,
} from '../podIdentityAssociation';
import { associationConflict, associationTags } from './associations';
import {
  MECHANISM_NAMES,
  MIGRATION_STEPS,
  otherMechanism,
  type MigrationChange,
  type MigrationInput,
  type MigrationPlan,
  type ValidatedMigrationInput,
} from './migrationTypes';
import {
  livePods,
  migrationProgress,
  podIdentityUnsupported,
  podMechanism,
} from '../../verifier/checks/podWiring';
import {
  isPodIdentityStatement,
  isWebIdentityStatementOf,
  withStatement,
  withoutStatements,
} from './trustEdits';

const NOTHING_WRITTEN = 'Nothing was written';

const orUndefined = <T>(p: Promise<T>) =>
  p.catch(error => {
    if (isGatewayError(error, 'not-found')) return undefined;
    throw error;
  });

/** What the live reads found. */
interface Found {
  cluster: IrsaCluster;
  target: AwsTarget;
  facts: ClusterFacts;
  role: RoleInfo;
  serviceAccount: ServiceAccountInfo;
  association?: PodIdentityAssociationInfo;
}

/**
 * Computes one migration step with reads only, and refuses, before any
 * write, whatever is not this entity's or cannot work: a role, ServiceAccount
 * or association of someone else's, no Pod Identity agent, pods on Fargate
 * or Windows, pods still on the old mechanism at the finish, Backstage not
 * allowed to patch the ServiceAccount, a trust over the account's quota.
 */
export class MigrationPlanner {
  constructor(
    private readonly service: IrsaService,
    private readonly settings: ProvisioningSettings,
  ) {}

  /** Checks every field (InputError "field: rule") and resolves the role name. Pure. */
  validate(raw: MigrationInput): ValidatedMigrationInput {
    const namespace = validateNamespace(raw.namespace);
    const serviceAccount = validateServiceAccountName(raw.serviceAccount);
    const entityRef = validateEntityRef(raw.entityRef);
    if (!IDENTITY_MECHANISMS.includes(raw.to))
      throw new InputError(
        `to: must be one of ${IDENTITY_MECHANISMS.join(', ')}`,
      );
    if (!MIGRATION_STEPS.includes(raw.step))
      throw new InputError(
        `step: must be one of ${MIGRATION_STEPS.join(', ')}`,
      );
    const cluster = this.service.clusters.get(raw.cluster);
    checkNamespace(cluster, namespace);
    return {
      cluster: cluster.name,
      namespace,
      serviceAccount,
      entityRef,
      to: raw.to,
      step: raw.step,
      roleName:
        raw.roleName === undefined
          ? defaultRoleName(cluster.name, namespace, serviceAccount)
          : validateRoleName(raw.roleName),
    };
  }

  async plan(input: ValidatedMigrationInput, log: Log): Promise<MigrationPlan> {
    const { service } = this;
    const { to, step, namespace, roleName } = input;
    const from = otherMechanism(to);
    const cluster = service.clusters.get(input.cluster);
    const target = { accountId: cluster.accountId, region: cluster.region };
    const ref = `${namespace}/${input.serviceAccount}`;
    log(
      `Reading role ${roleName}, ServiceAccount ${ref}, its pods and Pod Identity associations on ${cluster.name} (no changes yet)`,
    );
    const [
      facts,
      role,
      serviceAccount,
      association,
      pods,
      quotas,
      access,
      agent,
    ] = await Promise.all([
      service.facts.get(cluster.name),
      orUndefined(service.iam.getRole(target, roleName)),
      service.kubernetes.getServiceAccount(
        cluster.name,
        namespace,
        input.serviceAccount,
      ),
      findPodIdentityAssociation(
        service.eks,
        associationLookup(cluster, namespace, input.serviceAccount),
      ),
      service.kubernetes.listPodsForServiceAccount(
        cluster.name,
        namespace,
        input.serviceAccount,
      ),
      service.iam.getAccountQuotas(target),
      service.kubernetes.reviewAccess(cluster.name, [
        { verb: 'patch', resource: 'serviceaccounts', namespace },
      ]),
      to === 'pod-identity' && step === 'start'
        ? this.findAgent(cluster, target)
        : undefined,
    ]);

    if (!role)
      throw new NotFoundError(
        `role ${roleName} does not exist in account ${cluster.accountId}; pass roleName when the role was created with a custom name. ${NOTHING_WRITTEN}`,
      );
    if (!serviceAccount)
      throw new NotFoundError(
        `ServiceAccount ${ref} does not exist on ${cluster.name}; provision it first (aws:irsa:create). ${NOTHING_WRITTEN}`,
      );
    const conflicts = this.conflicts(input, role, serviceAccount, association);
    if (conflicts.length)
      throw new ConflictError(
        `${conflicts.join('; ')}. aws:irsa:migrate changes only what ${input.entityRef} owns. ${NOTHING_WRITTEN}`,
      );
    if (!role.path.startsWith(this.settings.rolePath))
      throw new NotAllowedError(
        `role ${roleName} is at path ${role.path}, outside ${this.settings.rolePath} (irsa.provisioning.rolePath); aws:irsa:migrate does not touch it. ${NOTHING_WRITTEN}`,
      );
    const found: Found = {
      cluster,
      target,
      facts,
      role,
      serviceAccount,
      association,
    };
    this.checkState(input, found);

    const notes: string[] = [];
    const live = livePods(pods);
    if (to === 'pod-identity') {
      const unsupported = live.flatMap(pod => {
        const where = podIdentityUnsupported(pod);
        return where ? [`${pod.name} runs on ${where}`] : [];
      });
      if (unsupported.length)
        throw new InputError(
          `to: EKS Pod Identity does not run on Fargate or Windows nodes, and pod ${unsupported.join(', pod ')}; keep this workload on IRSA. ${NOTHING_WRITTEN}`,
        );
      if (agent === undefined && step === 'start')
        throw new InputError(
          `cluster: ${cluster.name} has no EKS Pod Identity agent (no ${POD_IDENTITY_AGENT_ADDON} add-on, no kube-system/${POD_IDENTITY_AGENT_ADDON} DaemonSet); install it first: aws eks create-addon --cluster-name ${cluster.eksClusterName} --addon-name ${POD_IDENTITY_AGENT_ADDON} --region ${cluster.region}. ${NOTHING_WRITTEN}`,
        );
      if (agent) notes.push(agent);
    }
    // Pending pods count too: they will run with what was injected at their creation.
    const oldPods = live
      .filter(pod => podMechanism(pod) === from)
      .map(pod => pod.name);
    // Back to IRSA no pod can move before the association is gone (it takes
    // precedence), so only the move to Pod Identity waits for its pods.
    if (step === 'finish' && to === 'pod-identity' && oldPods.length)
      throw new ConflictError(
        `${oldPods.length} of ${live.length} pods of ${ref} still use ${MECHANISM_NAMES[from]}: ${oldPods.join(', ')}. Finishing now would cut them off; restart them first (Restart pods on the entity's IAM card, or kubectl rollout restart), then run step finish again. ${NOTHING_WRITTEN}`,
      );
    if (to === 'irsa' && !facts.oidcProviderExists)
      throw new InputError(
        `cluster: ${cluster.name} has no IAM OIDC provider for ${facts.issuer}, which IRSA needs; create it first with: eksctl utils associate-iam-oidc-provider --cluster ${cluster.eksClusterName} --region ${cluster.region} --approve. ${NOTHING_WRITTEN}`,
      );

    const changes = this.changes(input, found);
    const trust = changes.find(c => c.kind === 'trust');
    if (trust?.kind === 'trust') {
      const size = policySize(trust.after);
      if (size > quotas.assumeRolePolicySizeMax)
        throw new InputError(
          `roleName: the trust policy of ${roleName} would have ${size} characters, over the account's quota of ${quotas.assumeRolePolicySizeMax} (AssumeRolePolicySizeMax). ${NOTHING_WRITTEN}`,
        );
    }
    if (changes.some(c => c.kind === 'annotate') && !access[0]?.allowed)
      throw new NotAllowedError(
        `Backstage's Kubernetes identity on cluster ${cluster.name} may not patch serviceaccounts in namespace ${namespace}; grant it (see the README's RBAC). ${NOTHING_WRITTEN}`,
      );
    return {
      input,
      from,
      target,
      eksClusterName: cluster.eksClusterName,
      role,
      serviceAccount,
      association: found.association,
      progress: migrationProgress(pods, from),
      oldPods,
      changes,
      notes,
    };
  }

  /** Where the Pod Identity agent runs, or undefined when the cluster has none. */
  private async findAgent(
    cluster: IrsaCluster,
    target: AwsTarget,
  ): Promise<string | undefined> {
    const addon = await orUndefined(
      this.service.eks.describeAddon(
        target,
        cluster.eksClusterName,
        POD_IDENTITY_AGENT_ADDON,
      ),
    );
    if (addon)
      return `Pod Identity agent: the ${addon.name} add-on${addon.version ? ` ${addon.version}` : ''} is ${addon.status}`;
    // Self-managed: the agent's DaemonSet without the add-on.
    const daemonSet = await this.service.kubernetes.getDaemonSet(
      cluster.name,
      'kube-system',
      POD_IDENTITY_AGENT_ADDON,
    );
    if (!daemonSet) return undefined;
    return `Pod Identity agent: DaemonSet kube-system/${daemonSet.name}, ${daemonSet.numberReady} of ${daemonSet.desiredNumberScheduled} ready`;
  }

  /** Why the role, the ServiceAccount or an association is not this entity's. */
  private conflicts(
    input: ValidatedMigrationInput,
    role: RoleInfo,
    serviceAccount: ServiceAccountInfo,
    association: PodIdentityAssociationInfo | undefined,
  ): string[] {
    const ref = `${input.namespace}/${input.serviceAccount}`;
    const conflicts: string[] = [];
    const roleOwner = ownershipFromTags(role.tags);
    if (!roleOwner.managed || roleOwner.entityRef !== input.entityRef)
      conflicts.push(
        describeAdoption({
          kind: 'role',
          name: role.name,
          fromEntityRef: roleOwner.managed ? roleOwner.entityRef : undefined,
          fromOwner: roleOwner.owner,
        }),
      );
    else if (
      role.tags[OWNERSHIP.cluster] !== input.cluster ||
      role.tags[OWNERSHIP.serviceAccount] !== ref
    )
      conflicts.push(
        `role ${role.name} was made for ServiceAccount ${role.tags[OWNERSHIP.serviceAccount]} on cluster ${role.tags[OWNERSHIP.cluster]}, not ${ref} on ${input.cluster}`,
      );
    const accountOwner = ownershipFromServiceAccount(serviceAccount);
    if (!accountOwner.managed || accountOwner.entityRef !== input.entityRef)
      conflicts.push(
        describeAdoption({
          kind: 'ServiceAccount',
          name: ref,
          fromEntityRef: accountOwner.managed
            ? accountOwner.entityRef
            : undefined,
          fromOwner: accountOwner.owner,
        }),
      );
    const annotated = serviceAccount.annotations[EKS_ROLE_ARN_ANNOTATION];
    if (annotated !== undefined && annotated !== role.arn)
      conflicts.push(
        `ServiceAccount ${ref} is annotated with role ${annotated}, not ${role.arn}`,
      );
    const why =
      association &&
      associationConflict(association, {
        entityRef: input.entityRef,
        roleArn: role.arn,
      });
    if (why) conflicts.push(why);
    return conflicts;
  }

  /**
   * Refuses a step the workload's wiring does not allow: starting a move to
   * where it already is (or from nothing), finishing a move that was never
   * started or goes the other way, finishing without the new wiring.
   */
  private checkState(input: ValidatedMigrationInput, found: Found) {
    const { to, step } = input;
    const from = otherMechanism(to);
    const ref = `ServiceAccount ${input.namespace}/${input.serviceAccount}`;
    const annotations = found.serviceAccount.annotations;
    const migratingTo = IDENTITY_MECHANISMS.find(
      m => m === annotations[ANNOTATION_IRSA_MIGRATING_TO],
    );
    const wired: Record<IdentityMechanism, boolean> = {
      irsa: annotations[EKS_ROLE_ARN_ANNOTATION] === found.role.arn,
      'pod-identity': found.association !== undefined,
    };
    const refuse = (why: string): never => {
      throw new ConflictError(`${why}. ${NOTHING_WRITTEN}`);
    };
    if (step === 'start') {
      if (migratingTo || wired[from]) return;
      refuse(
        wired[to]
          ? `${ref} already uses ${MECHANISM_NAMES[to]}: there is nothing to migrate`
          : `${ref} has neither the ${EKS_ROLE_ARN_ANNOTATION} annotation for ${found.role.arn} nor a Pod Identity association: there is nothing to migrate; provision it first (aws:irsa:create)`,
      );
    }
    if (migratingTo === from)
      refuse(
        `${ref} is migrating to ${MECHANISM_NAMES[from]} (${ANNOTATION_IRSA_MIGRATING_TO}: ${from}); finish that move (to: ${from}), or start the move to ${MECHANISM_NAMES[to]} again`,
      );
    if (!migratingTo && wired[from])
      refuse(
        `${ref} is not migrating to ${MECHANISM_NAMES[to]}; run step start first`,
      );
    if (!wired[to])
      refuse(
        to === 'pod-identity'
          ? `${ref} has no Pod Identity association: finishing would leave new pods without credentials; run step start first`
          : `${ref} is not annotated with ${EKS_ROLE_ARN_ANNOTATION}: ${found.role.arn}: finishing would leave new pods without credentials; run step start first`,
      );
  }

  /** The writes, in the order they run. */
  private changes(
    input: ValidatedMigrationInput,
    found: Found,
  ): MigrationChange[] {
    const { to, step } = input;
    const { cluster, role, serviceAccount, association } = found;
    const ref = `${input.namespace}/${input.serviceAccount}`;
    const trust = this.trust(input, found);
    const annotate = this.annotations(input, serviceAccount, role.arn);
    const trustChange: MigrationChange[] = trust
      ? [
          {
            kind: 'trust',
            description:
              step === 'start'
                ? `add the ${MECHANISM_NAMES[to]} statement to the trust policy of role ${role.name}`
                : `remove the ${MECHANISM_NAMES[otherMechanism(to)]} statement from the trust policy of role ${role.name}`,
            before: role.trustPolicy,
            after: trust,
          },
        ]
      : [];
    const annotateChange: MigrationChange[] = annotate
      ? [
          {
            kind: 'annotate',
            description: `patch the annotations of ServiceAccount ${ref}: ${Object.entries(
              annotate.patch,
            )
              .map(([k, v]) => (v === null ? `remove ${k}` : `set ${k}: ${v}`))
              .join(', ')}`,
            ...annotate,
            resourceVersion: serviceAccount.resourceVersion,
          },
        ]
      : [];
    if (step === 'start') {
      // Additions first, then the ServiceAccount: each undone by a rollback.
      const create: MigrationChange[] =
        to === 'pod-identity' && !association
          ? [
              {
                kind: 'create-association',
                description: `create a Pod Identity association for ${ref} on ${cluster.eksClusterName} with role ${role.arn}`,
                association: {
                  clusterName: cluster.eksClusterName,
                  namespace: input.namespace,
                  serviceAccount: input.serviceAccount,
                  roleArn: role.arn,
                  tags: associationTags(role.tags, this.settings.tags),
                },
              },
            ]
          : [];
      return [...trustChange, ...create, ...annotateChange];
    }
    // Removals: the association's deletion cannot be undone, so it comes last.
    const remove: MigrationChange[] =
      to === 'irsa' && association
        ? [
            {
              kind: 'delete-association',
              description: `delete Pod Identity association ${association.associationId} of ${ref}`,
              associationId: association.associationId,
            },
          ]
        : [];
    return [...annotateChange, ...trustChange, ...remove];
  }

  /**
   * The trust policy this step leaves, or undefined when it stays as it is.
   * Start adds the new mechanism's statement and keeps the old one, so pods
   * on either keep working; finish removes the old one (and makes sure the
   * new one is there).
   */
  private trust(
    input: ValidatedMigrationInput,
    found: Found,
  ): PolicyDocument | undefined {
    const { to, step } = input;
    const { cluster, facts, role, serviceAccount } = found;
    const before = role.trustPolicy;
    let after: PolicyDocument;
    if (to === 'pod-identity') {
      after = withStatement(
        before,
        buildPodIdentityTrustStatement(
          podIdentityTrustInput(cluster, input.namespace, input.serviceAccount),
        ),
      );
      if (step === 'finish')
        after = withoutStatements(after, s =>
          isWebIdentityStatementOf(s, facts.oidcProviderArn),
        );
    } else {
      // Exactly the statement aws:irsa:create writes for this ServiceAccount.
      const [webIdentity] = buildTrustPolicy({
        oidcProviderArn: facts.oidcProviderArn,
        issuer: facts.issuer,
        namespace: input.namespace,
        serviceAccount: input.serviceAccount,
        audience: serviceAccount.annotations[EKS_AUDIENCE_ANNOTATION],
      }).document.Statement;
      after = withStatement(before, webIdentity);
      if (step === 'finish')
        after = withoutStatements(after, isPodIdentityStatement);
    }
    return after === before ? undefined : after;
  }

  /**
   * The annotation patch this step needs, or undefined when none. Start
   * marks the ServiceAccount `irsa.dev/migrating-to`, and moving to IRSA
   * adds the role annotation; finish removes the mark, and moving to Pod
   * Identity the role annotation.
   *
   * The role annotation stays until the move to Pod Identity finishes: with
   * both wired, the EKS pod identity webhook gives container credentials
   * precedence and injects only Pod Identity's variables into new pods
   * (docs/architecture.md, "Which one is live"), so new pods move at once
   * while running ones keep IRSA's. For the same reason, moving back to
   * IRSA changes nothing for pods until finish deletes the association.
   */
  private annotations(
    input: ValidatedMigrationInput,
    serviceAccount: ServiceAccountInfo,
    roleArn: string,
  ):
    | {
        patch: Record<string, string | null>;
        restore: Record<string, string | null>;
      }
    | undefined {
    const { to, step } = input;
    const wanted: Record<string, string | null> =
      step === 'start'
        ? {
            ...(to === 'irsa' ? { [EKS_ROLE_ARN_ANNOTATION]: roleArn } : {}),
            [ANNOTATION_IRSA_MIGRATING_TO]: to,
          }
        : {
            ...(to === 'pod-identity'
              ? { [EKS_ROLE_ARN_ANNOTATION]: null }
              : {}),
            [ANNOTATION_IRSA_MIGRATING_TO]: null,
          };
    const current = serviceAccount.annotations;
    const patch = Object.fromEntries(
      Object.entries(wanted).filter(([k, v]) => (current[k] ?? null) !== v),
    );
    if (!Object.keys(patch).length) return undefined;
    return {
      patch,
      restore: Object.fromEntries(
        Object.keys(patch).map(k => [k, current[k] ?? null]),
      ),
    };
  }
}
