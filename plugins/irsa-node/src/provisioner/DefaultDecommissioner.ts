import type { LoggerService } from '@backstage/backend-plugin-api';
import type { Config } from '@backstage/config';
import { ConflictError, InputError, NotAllowedError } from '@backstage/errors';
import {
  POD_IDENTITY_ENV,
  defaultRoleName,
  roleArn as buildRoleArn,
} from '@backstage-irsa/plugin-irsa-common';
import { isGatewayError } from '../gateways/errors';
import type { AwsTarget, ManagedPolicyInfo, RoleInfo } from '../gateways/types';
import type { IrsaService } from '../service/types';
import { ApplyRun, type StepRunner } from './ApplyRun';
import {
  checkNamespace,
  validateEntityRef,
  validateNamespace,
  validateRoleName,
  validateServiceAccountName,
} from './input';
import {
  OWNERSHIP,
  attachedByUs,
  describeAdoption,
  ownershipFromTags,
} from './ownership';
import { orUndefined } from './planGuardrails';
import { PodIdentityAssociationBinding } from './PodIdentityAssociationBinding';
import { InMemoryProvisionLock, type ProvisionLock } from './ProvisionLock';
import {
  ServiceAccountAnnotationBinding,
  type RoleBinding,
  type RoleBindingMechanism,
} from './ServiceAccountAnnotationBinding';
import {
  readProvisioningSettings,
  type ProvisioningSettings,
} from './settings';

export * from './ServiceAccountAnnotationBinding';
export * from './PodIdentityAssociationBinding';

/** What aws:irsa:delete is asked to remove. */
export interface DecommissionInput {
  cluster: string;
  namespace: string;
  serviceAccount: string;
  /** The catalog entity the role belongs to; anything another entity owns is refused. */
  entityRef: string;
  /** Default: the provisioner's default name for the ServiceAccount's role. */
  roleName?: string;
  /**
   * Delete the ServiceAccount instead of only removing its role annotations
   * (default false); only a ServiceAccount the entity owns is deleted.
   */
  deleteServiceAccount?: boolean;
}

/** Everything decommission() will do, computed with reads only. */
export interface DecommissionPlan {
  input: Required<DecommissionInput>;
  target: AwsTarget;
  roleArn: string;
  /** Undefined when the role is already gone. */
  role?: RoleInfo;
  /** Bindings of the workload to the role, removed first. */
  bindings: RoleBinding[];
  /** Managed policies to detach: ours and those this project attached. */
  toDetach: string[];
  /** Customer-managed policies this project created for the entity. */
  toDelete: string[];
  /** What stays attached and keeps the role from being deleted. */
  foreign: { managedPolicyArns: string[]; inlinePolicyNames: string[] };
  /** True when the role exists and nothing foreign stays on it. */
  deleteRole: boolean;
  /** Things looked at and left alone. */
  notes: string[];
}

/** What a decommission did (or, in a dry run, would do). */
export interface DecommissionResult {
  roleArn: string;
  roleName: string;
  /** The bindings removed, described. */
  unbound: string[];
  detachedPolicyArns: string[];
  deletedPolicyArns: string[];
  /** False when the role was already gone. */
  roleDeleted: boolean;
  /** Every step, in order, as the task log shows it. */
  steps: string[];
}

/**
 * A decommission stopped part-way. Deletions cannot be rolled back, so it
 * names what was done and what is left; running again continues (what is
 * already gone counts as done).
 */
export class DecommissionError extends Error {
  name = 'DecommissionError';
  constructor(
    readonly step: string,
    readonly cause: Error,
    readonly done: string[],
    readonly left: string[],
  ) {
    super(
      `${step} failed: ${cause.message}. Done: ${done.length ? done.join('; ') : 'nothing'}. Left: ${left.join('; ')}. Deletions cannot be rolled back; run aws:irsa:delete again to continue where it stopped`,
    );
  }
}

type Log = (message: string) => void;

function validateOptionalBoolean(value: unknown, field: string): boolean {
  if (value !== undefined && typeof value !== 'boolean')
    throw new InputError(`${field}: must be true or false`);
  return value ?? false;
}

/** Runs a removal; a resource already gone counts as removed (re-runs continue). */
async function removing(fn: () => Promise<void>): Promise<string> {
  try {
    await fn();
    return 'removed';
  } catch (error) {
    if (isGatewayError(error, 'not-found')) return 'already gone';
    throw error;
  }
}

interface Step {
  name: string;
  key: string;
  /** Past tense, for the report: "deleted policy arn:…". */
  done: string;
  fn: () => Promise<void>;
}

/**
 * Decommissions what DefaultProvisioner created for one entity, in the
 * order that keeps workloads safe: the ServiceAccount's binding first (pods
 * stop getting the role when they restart), then the managed policies this
 * project attached are detached, its own policies deleted, and last the
 * role. Anything another entity owns, or nobody manages, is refused before
 * the first write; policies attached by someone else stay and keep the role.
 */
export class DefaultDecommissioner {
  private readonly service: IrsaService;
  private readonly settings: ProvisioningSettings;
  private readonly lock: ProvisionLock;
  private readonly mechanisms: RoleBindingMechanism[];

  constructor(options: {
    service: IrsaService;
    logger: LoggerService;
    settings: ProvisioningSettings;
    /** The same lock as the provisioner's, so a delete never interleaves with a create. */
    lock?: ProvisionLock;
    /** How workloads are bound to roles (default: the ServiceAccount annotation and the Pod Identity association). */
    mechanisms?: RoleBindingMechanism[];
  }) {
    this.service = options.service;
    this.settings = options.settings;
    this.lock = options.lock ?? new InMemoryProvisionLock();
    this.mechanisms = options.mechanisms ?? [
      new ServiceAccountAnnotationBinding(options.service.kubernetes),
      new PodIdentityAssociationBinding(
        options.service.eks,
        options.service.clusters,
      ),
    ];
  }

  /** Reads `irsa.provisioning` once. */
  static fromConfig(options: {
    service: IrsaService;
    logger: LoggerService;
    config: Config;
    lock?: ProvisionLock;
    mechanisms?: RoleBindingMechanism[];
  }): DefaultDecommissioner {
    return new DefaultDecommissioner({
      ...options,
      settings: readProvisioningSettings(options.config),
    });
  }

  /**
   * Plans and, unless `dryRun`, removes, holding the provisioner's locks on
   * the ServiceAccount and the role. Throws ConflictError when a policy
   * attached by someone else keeps the role (after removing everything
   * else), and DecommissionError when a step fails.
   */
  async decommission(
    raw: DecommissionInput,
    options: {
      log?: Log;
      step?: StepRunner;
      dryRun?: boolean;
      /** Names this run in a lock conflict (the task id). */
      holder?: string;
    } = {},
  ): Promise<{ plan: DecommissionPlan; result: DecommissionResult }> {
    const log = options.log ?? (() => {});
    const input = this.validate(raw);
    const cluster = this.service.clusters.get(input.cluster);
    const lock = await this.lock.acquire(
      [
        `serviceaccount:${cluster.name}/${input.namespace}/${input.serviceAccount}`,
        `role:${cluster.accountId}/${input.roleName}`,
      ],
      { holder: options.holder ?? 'a run', waitMs: this.settings.lockWaitMs },
    );
    try {
      const plan = await this.plan(input, log);
      plan.notes.forEach(log);
      if (options.dryRun) {
        const steps = this.steps(plan).map(s => `Would ${s.name}`);
        log('Dry run: nothing is removed');
        steps.forEach(log);
        if (!plan.deleteRole && plan.role)
          log(`Would keep role ${plan.roleArn}: ${this.foreignText(plan)}`);
        return { plan, result: this.result(plan, steps, plan.deleteRole) };
      }
      return { plan, result: await this.apply(plan, log, options.step) };
    } finally {
      await lock.release();
    }
  }

  /** Checks every field (InputError "field: rule") and resolves the role name. */
  private validate(raw: DecommissionInput): Required<DecommissionInput> {
    const namespace = validateNamespace(raw.namespace);
    const serviceAccount = validateServiceAccountName(raw.serviceAccount);
    const entityRef = validateEntityRef(raw.entityRef);
    const cluster = this.service.clusters.get(raw.cluster);
    checkNamespace(cluster, namespace);
    return {
      cluster: cluster.name,
      namespace,
      serviceAccount,
      entityRef,
      roleName:
        raw.roleName === undefined
          ? defaultRoleName(cluster.name, namespace, serviceAccount)
          : validateRoleName(raw.roleName),
      deleteServiceAccount: validateOptionalBoolean(
        raw.deleteServiceAccount,
        'deleteServiceAccount',
      ),
    };
  }

  private async plan(
    input: Required<DecommissionInput>,
    log: Log,
  ): Promise<DecommissionPlan> {
    const { iam } = this.service;
    const cluster = this.service.clusters.get(input.cluster);
    const target = { accountId: cluster.accountId, region: cluster.region };
    const { roleName } = input;
    log(
      `Reading role ${roleName}, its policies and the bindings of ${input.namespace}/${input.serviceAccount} on ${cluster.name} (no changes yet)`,
    );
    const [role, ...found] = await Promise.all([
      orUndefined(iam.getRole(target, roleName)),
      ...this.mechanisms.map(m =>
        m.find({
          cluster: cluster.name,
          namespace: input.namespace,
          serviceAccount: input.serviceAccount,
          entityRef: input.entityRef,
          accountId: cluster.accountId,
          roleName,
          deleteServiceAccount: input.deleteServiceAccount,
        }),
      ),
    ]);
    const conflicts = found.flatMap(f => f.conflicts);
    const notes = found.flatMap(f => f.notes);
    if (role) conflicts.unshift(...this.roleConflicts(role, input));
    if (conflicts.length)
      throw new ConflictError(
        `${conflicts.join('; ')}. aws:irsa:delete removes only what ${input.entityRef} owns; nothing was written`,
      );
    if (role && !role.path.startsWith(this.settings.rolePath))
      throw new NotAllowedError(
        `role ${roleName} is at path ${role.path}, outside ${this.settings.rolePath} (irsa.provisioning.rolePath); aws:irsa:delete does not touch it. Nothing was written`,
      );

    // The provisioner names its policies after the role, at the role's path.
    const path = role?.path ?? this.settings.rolePath;
    const policyArn = (name: string) =>
      `arn:${cluster.partition}:iam::${cluster.accountId}:policy${path}${name}`;
    const none: string[] = [];
    const [attached, inline, candidates] = await Promise.all([
      role
        ? iam
            .listAttachedRolePolicies(target, roleName)
            .then(l => l.map(p => p.arn))
        : none,
      role ? iam.listRolePolicies(target, roleName) : none,
      Promise.all(
        [roleName, `${roleName}-allowlist`].map(name =>
          orUndefined(iam.getPolicy(target, policyArn(name))),
        ),
      ),
    ]);

    const toDetach: string[] = [];
    const toDelete: string[] = [];
    const ownPolicyArns = new Set<string>();
    for (const policy of candidates.filter((p): p is ManagedPolicyInfo =>
      Boolean(p),
    )) {
      const ownership = ownershipFromTags(policy.tags);
      const attachedHere = attached.includes(policy.arn);
      if (!ownership.managed || ownership.entityRef !== input.entityRef) {
        if (!attachedHere)
          notes.push(
            `${describeAdoption({ kind: 'policy', name: policy.arn, fromEntityRef: ownership.managed ? ownership.entityRef : undefined, fromOwner: ownership.owner })}: left alone`,
          );
        continue;
      }
      ownPolicyArns.add(policy.arn);
      if (attachedHere) toDetach.push(policy.arn);
      const elsewhere = policy.attachmentCount - (attachedHere ? 1 : 0);
      if (elsewhere > 0)
        notes.push(
          `policy ${policy.arn} is also attached to ${elsewhere} other role(s), user(s) or group(s): detached from this role only, not deleted`,
        );
      else toDelete.push(policy.arn);
    }
    const remembered = role ? attachedByUs(role.tags) : [];
    for (const arn of attached)
      if (!ownPolicyArns.has(arn) && remembered.includes(arn))
        toDetach.push(arn);
    const foreign = {
      managedPolicyArns: attached.filter(arn => !toDetach.includes(arn)),
      inlinePolicyNames: inline,
    };
    const roleArn =
      role?.arn ??
      buildRoleArn({
        partition: cluster.partition,
        accountId: cluster.accountId,
        roleName,
        path: this.settings.rolePath,
      });
    if (!role) notes.push(`role ${roleName} does not exist: nothing to delete`);
    return {
      input,
      target,
      roleArn,
      role,
      bindings: found.flatMap(f => f.bindings),
      toDetach,
      toDelete,
      foreign,
      deleteRole:
        Boolean(role) &&
        !foreign.managedPolicyArns.length &&
        !foreign.inlinePolicyNames.length,
      notes,
    };
  }

  /** Why this role is not the entity's to delete, or nothing. */
  private roleConflicts(role: RoleInfo, input: Required<DecommissionInput>) {
    const ownership = ownershipFromTags(role.tags);
    if (!ownership.managed || ownership.entityRef !== input.entityRef)
      return [
        describeAdoption({
          kind: 'role',
          name: role.name,
          fromEntityRef: ownership.managed ? ownership.entityRef : undefined,
          fromOwner: ownership.owner,
        }),
      ];
    const serviceAccount = `${input.namespace}/${input.serviceAccount}`;
    if (
      role.tags[OWNERSHIP.cluster] !== input.cluster ||
      role.tags[OWNERSHIP.serviceAccount] !== serviceAccount
    )
      return [
        `role ${role.name} was made for ServiceAccount ${role.tags[OWNERSHIP.serviceAccount]} on cluster ${role.tags[OWNERSHIP.cluster]}, not ${serviceAccount} on ${input.cluster}`,
      ];
    return [];
  }

  /** The writes, in order. */
  private steps(plan: DecommissionPlan): Step[] {
    const { iam } = this.service;
    const { target, input } = plan;
    return [
      ...plan.bindings.map(binding => ({
        name: `remove ${binding.description}`,
        key: `unbind-${binding.mechanism}`,
        done: `removed ${binding.description}`,
        fn: () => binding.remove(),
      })),
      ...plan.toDetach.map(arn => ({
        name: `detach ${arn} from role ${input.roleName}`,
        key: `detach-${arn}`,
        done: `detached ${arn}`,
        fn: () => iam.detachRolePolicy(target, input.roleName, arn),
      })),
      ...plan.toDelete.map(arn => ({
        name: `delete policy ${arn} and its old versions`,
        key: `delete-policy-${arn}`,
        done: `deleted policy ${arn}`,
        fn: () => iam.deletePolicy(target, arn),
      })),
      ...(plan.deleteRole
        ? [
            {
              name: `delete role ${plan.roleArn}`,
              key: 'delete-role',
              done: `deleted role ${plan.roleArn}`,
              fn: () => iam.deleteRole(target, input.roleName),
            },
          ]
        : []),
    ];
  }

  private async apply(
    plan: DecommissionPlan,
    log: Log,
    step: StepRunner = (_key, fn) => fn(),
  ): Promise<DecommissionResult> {
    const steps = this.steps(plan);
    if (!steps.length && !plan.role) {
      log(
        `Nothing to remove: ${plan.input.entityRef}'s IRSA wiring is already gone`,
      );
      return this.result(plan, [], false);
    }
    // Deletions cannot be undone: ApplyRun is used for its checkpoint keys
    // and failed-step tracking only; a failure is reported, never rolled back.
    const run = await ApplyRun.start(
      step,
      `irsa-delete:${plan.input.roleName}`,
    );
    const done: string[] = [];
    for (const [index, s] of steps.entries()) {
      log(`${s.name[0].toUpperCase()}${s.name.slice(1)}`);
      try {
        const outcome = await run.run(s.name, s.key, () => removing(s.fn));
        done.push(
          outcome === 'already gone' ? `${s.done} (already gone)` : s.done,
        );
      } catch (error) {
        const failure = new DecommissionError(
          run.stepOf(error),
          error as Error,
          done,
          [
            ...steps.slice(index).map(left => left.name),
            ...(plan.role && !plan.deleteRole
              ? [`role ${plan.roleArn} stays: ${this.foreignText(plan)}`]
              : []),
          ],
        );
        log(failure.message);
        throw failure;
      }
    }
    const unbound = new Set(plan.bindings.map(b => b.mechanism));
    if (unbound.has('serviceaccount-annotation'))
      log(
        'Pods started before now still carry AWS_ROLE_ARN and fail once the role is gone: restart or remove them',
      );
    if (unbound.has('pod-identity-association'))
      log(
        `Pods started before now still carry ${POD_IDENTITY_ENV.credentialsUri} but get no new credentials without the association: restart or remove them`,
      );
    if (plan.role && !plan.deleteRole) {
      const message = `role ${plan.roleArn} was kept: ${this.foreignText(plan)}. Done: ${done.length ? done.join('; ') : 'nothing'}. Detach them (or ask whoever attached them), then run aws:irsa:delete again`;
      log(message);
      throw new ConflictError(message);
    }
    log(`Done: ${done.join('; ')}`);
    return this.result(plan, done, plan.deleteRole);
  }

  /** "policies attached by someone else remain: managed …; inline …". */
  private foreignText(plan: DecommissionPlan) {
    const { managedPolicyArns, inlinePolicyNames } = plan.foreign;
    return `policies that IRSA for Backstage did not attach remain on it: ${[
      managedPolicyArns.length ? `managed ${managedPolicyArns.join(', ')}` : '',
      inlinePolicyNames.length ? `inline ${inlinePolicyNames.join(', ')}` : '',
    ]
      .filter(Boolean)
      .join('; ')}`;
  }

  private result(
    plan: DecommissionPlan,
    steps: string[],
    roleDeleted: boolean,
  ): DecommissionResult {
    return {
      roleArn: plan.roleArn,
      roleName: plan.input.roleName,
      unbound: plan.bindings.map(b => b.description),
      detachedPolicyArns: plan.toDetach,
      deletedPolicyArns: plan.toDelete,
      roleDeleted,
      steps,
    };
  }
}
