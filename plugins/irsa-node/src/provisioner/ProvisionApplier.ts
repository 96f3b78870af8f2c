import { EKS_ROLE_ARN_ANNOTATION } from '@backstage-irsa/plugin-irsa-common';
import type { IrsaService } from '../service/types';
import { writeAssociation } from './applyAssociation';
import { ApplyRun, ProvisionError, type StepRunner } from './ApplyRun';
import { convergeTags } from './convergeTags';
import { planOutputs } from './outputs';
import { OWNERSHIP, attachedPolicyTag, describeAdoption } from './ownership';
import type {
  Log,
  PlannedPolicy,
  ProvisionPlan,
  ProvisionResult,
} from './provisionTypes';

const same = (a: unknown, b: unknown) =>
  JSON.stringify(a) === JSON.stringify(b);

/**
 * Writes a plan, concurrently where calls are independent, and undoes what
 * the run changed when a step fails.
 */
export class ProvisionApplier {
  constructor(private readonly service: IrsaService) {}

  async apply(
    plan: ProvisionPlan,
    options: { log?: Log; step?: StepRunner } = {},
  ): Promise<ProvisionResult> {
    const { iam } = this.service;
    const log = options.log ?? (() => {});
    const { target, roleName } = plan;
    const run = await ApplyRun.start(
      options.step ?? ((_key, fn) => fn()),
      `irsa:${roleName}`,
    );
    try {
      if (plan.adoptions.length)
        log(`Adopting: ${plan.adoptions.map(describeAdoption).join('; ')}`);
      await this.writeRole(plan, run, log);

      // The two customer-managed policies are independent: write them together.
      const policies = [plan.permissionsPolicy, plan.allowlistPolicy].filter(
        (p): p is PlannedPolicy => Boolean(p),
      );
      await run.all(policies.map(p => this.writePolicy(plan, p, run, log)));

      if (plan.toAttach.length) log(`Attaching ${plan.toAttach.join(', ')}`);
      await run.all(
        plan.toAttach.map(async arn => {
          await run.run(`attach ${arn}`, `attach-${arn}`, async () =>
            iam.attachRolePolicy(target, roleName, arn),
          );
          run.onRollback(`attachment of ${arn}`, () =>
            iam.detachRolePolicy(target, roleName, arn),
          );
        }),
      );
      if (plan.toDetach.length) {
        log(
          `Detaching policies no longer requested: ${plan.toDetach.join(', ')}`,
        );
        await run.all(
          plan.toDetach.map(async arn => {
            await run.run(`detach ${arn}`, `detach-${arn}`, async () =>
              iam.detachRolePolicy(target, roleName, arn),
            );
            run.onRollback(`detachment of ${arn}`, () =>
              iam.attachRolePolicy(target, roleName, arn),
            );
          }),
        );
        const forgotten = plan.toDetach
          .map(attachedPolicyTag)
          .filter(key => plan.existingRole?.tags[key] !== undefined);
        if (forgotten.length)
          await run.run('untag role', 'untag-detached', async () =>
            iam.untagRole(target, roleName, forgotten),
          );
      }
      if (plan.kept.length)
        log(
          `Left in place (attached by someone else, not by this project): ${plan.kept.join(', ')}`,
        );

      log(`Waiting until IAM shows the role (IAM is eventually consistent)`);
      await run.run('wait for role', 'wait-role', async () =>
        iam.waitUntilRoleExists(target, roleName, 60_000),
      );

      const associationId =
        plan.association &&
        (await writeAssociation(
          this.service.eks,
          plan,
          plan.association,
          run,
          log,
        ));
      const manifest = await this.writeServiceAccount(plan, run, log);
      log(`Done: ${plan.roleArn}`);
      return {
        ...planOutputs(plan),
        ...(associationId ? { associationId } : {}),
        ...(manifest ? { manifest } : {}),
      };
    } catch (error) {
      const failedStep = run.stepOf(error);
      const { rolledBack, leftBehind } = await run.rollback();
      const failure = new ProvisionError(
        failedStep,
        error as Error,
        rolledBack,
        leftBehind,
      );
      log(failure.message);
      throw failure;
    }
  }

  private async writeRole(plan: ProvisionPlan, run: ApplyRun, log: Log) {
    const { iam } = this.service;
    const { target, roleName, input } = plan;
    const existing = plan.existingRole;
    if (!existing) {
      log(
        plan.mechanism === 'pod-identity'
          ? `Creating role ${roleName} trusting EKS Pod Identity for ${input.namespace}/${input.serviceAccount} on EKS cluster ${plan.association?.clusterName}`
          : `Creating role ${roleName} trusting ${plan.facts.oidcProviderArn} for system:serviceaccount:${input.namespace}:${input.serviceAccount}`,
      );
      await run.run('create role', 'create-role', async () => {
        await iam.createRole(target, {
          name: roleName,
          path: input.rolePath,
          trustPolicy: plan.trustPolicy,
          description: `${plan.mechanism === 'pod-identity' ? 'EKS Pod Identity' : 'IRSA'} role for ${input.entityRef} (${input.namespace}/${input.serviceAccount} on ${input.cluster})`,
          maxSessionDuration: input.maxSessionDuration,
          permissionsBoundaryArn: input.permissionsBoundaryArn,
          tags: plan.tags,
        });
        return 'created';
      });
      run.onRollback(`role ${plan.roleArn}`, () =>
        iam.deleteRole(target, roleName),
      );
      return;
    }
    log(
      `Role ${roleName} exists${plan.adoptions.length ? ' (adopting it)' : ''}: updating its trust policy and tags to match`,
    );
    await run.all([
      same(existing.trustPolicy, plan.trustPolicy)
        ? undefined
        : run
            .run('update trust policy', 'update-trust', async () =>
              iam.updateTrustPolicy(target, roleName, plan.trustPolicy),
            )
            .then(() =>
              run.onRollback(`trust policy of ${plan.roleArn}`, () =>
                iam.updateTrustPolicy(target, roleName, existing.trustPolicy),
              ),
            ),
      convergeTags(run, `role ${roleName}`, existing.tags, plan.tags, {
        tag: tags => iam.tagRole(target, roleName, tags),
        untag: keys => iam.untagRole(target, roleName, keys),
      }),
    ]);
  }

  private async writePolicy(
    plan: ProvisionPlan,
    policy: PlannedPolicy,
    run: ApplyRun,
    log: Log,
  ) {
    const { iam } = this.service;
    const { target } = plan;
    if (!policy.existing) {
      log(`Creating policy ${policy.name}`);
      await run.run(
        `create policy ${policy.name}`,
        `create-policy-${policy.name}`,
        async () => {
          await iam.createPolicy(target, {
            name: policy.name,
            path: plan.input.rolePath,
            document: policy.document,
            tags: plan.tags,
          });
          return 'created';
        },
      );
      run.onRollback(`policy ${policy.arn}`, () =>
        iam.deletePolicy(target, policy.arn),
      );
      return;
    }
    const existing = policy.existing;
    const ownershipTags = Object.fromEntries(
      Object.values(OWNERSHIP).map(key => [key, plan.tags[key]]),
    );
    await convergeTags(
      run,
      `policy ${policy.name}`,
      existing.tags,
      ownershipTags,
      {
        tag: tags => iam.tagPolicy(target, policy.arn, tags),
        untag: keys => iam.untagPolicy(target, policy.arn, keys),
      },
    );
    const current = await iam.getPolicyVersion(
      target,
      policy.arn,
      existing.defaultVersionId,
    );
    if (same(current, policy.document)) {
      log(`Policy ${policy.name} is up to date`);
      return;
    }
    log(
      `Updating policy ${policy.name} (new default version; the oldest is pruned at IAM's limit of 5)`,
    );
    await run.run(
      `update policy ${policy.name}`,
      `version-${policy.name}`,
      async () => iam.createPolicyVersion(target, policy.arn, policy.document),
    );
    run.onRollback(`new version of ${policy.arn}`, () =>
      iam.createPolicyVersion(target, policy.arn, current),
    );
  }

  private async writeServiceAccount(
    plan: ProvisionPlan,
    run: ApplyRun,
    log: Log,
  ): Promise<string | undefined> {
    const { input } = plan;
    if (input.serviceAccountMode === 'manifest') return plan.manifest;
    if (input.serviceAccountMode === 'none' || !input.annotateServiceAccount) {
      log(
        'Leaving the ServiceAccount alone (serviceAccountMode none or annotateServiceAccount false)',
      );
      return undefined;
    }
    const { kubernetes } = this.service;
    const ref = `${input.namespace}/${input.serviceAccount}`;
    const annotations = {
      ...plan.serviceAccountAnnotations,
      [OWNERSHIP.entityRef]: input.entityRef,
      [OWNERSHIP.owner]: input.owner,
    };
    const existing = plan.existingServiceAccount;
    if (!existing) {
      log(
        plan.mechanism === 'pod-identity'
          ? `Creating ServiceAccount ${ref} with this project's labels and annotations (Pod Identity needs no role annotation)`
          : `Creating ServiceAccount ${ref} annotated with ${EKS_ROLE_ARN_ANNOTATION}`,
      );
      await run.run('create ServiceAccount', 'create-sa', async () => {
        await kubernetes.createServiceAccount(input.cluster, {
          namespace: input.namespace,
          name: input.serviceAccount,
          annotations,
          labels: plan.serviceAccountLabels,
        });
      });
      return undefined;
    }
    const stale =
      Object.entries(annotations).some(
        ([k, v]) => existing.annotations[k] !== v,
      ) ||
      Object.entries(plan.serviceAccountLabels).some(
        ([k, v]) => existing.labels[k] !== v,
      );
    if (!stale) {
      log(`ServiceAccount ${ref} is already annotated`);
      return undefined;
    }
    log(
      `Annotating ServiceAccount ${ref} (only ${Object.keys(annotations).join(', ')} and its managed-by label; everything else untouched). Restart its pods to pick up the role.`,
    );
    // Guarded by the version the plan read: a change since then is refused, not overwritten.
    await run.run('annotate ServiceAccount', 'annotate-sa', async () => {
      await kubernetes.patchServiceAccountMetadata(
        input.cluster,
        input.namespace,
        input.serviceAccount,
        { annotations, labels: plan.serviceAccountLabels },
        { expectedResourceVersion: existing.resourceVersion },
      );
    });
    return undefined;
  }
}
