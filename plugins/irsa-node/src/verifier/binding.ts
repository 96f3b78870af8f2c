import { parseEntityRef, stringifyEntityRef } from '@backstage/catalog-model';
import {
  EKS_ROLE_ARN_ANNOTATION,
  POD_IDENTITY_SESSION_TAGS,
  type EvidenceValue,
  type PolicyStatement,
  type RoleArnParts,
} from '@backstage-irsa/plugin-irsa-common';
import type {
  PodIdentityAssociationInfo,
  RoleInfo,
  ServiceAccountInfo,
} from '../gateways/types';
import type { IrsaCluster } from '../service/types';
import { shellQuote } from './shell';

/** IAM tag (roles, policies) and ServiceAccount annotation naming the owning entity. */
export const IRSA_ENTITY_REF_KEY = 'irsa.dev/entity-ref';
/** IAM tag: the configured cluster the role serves. */
export const IRSA_CLUSTER_TAG = 'irsa.dev/cluster';
/** IAM tag: `namespace/name` of the ServiceAccount the role serves. */
export const IRSA_SERVICE_ACCOUNT_TAG = 'irsa.dev/service-account';

/** One rule of the binding and how it came out. */
export interface BindingRule {
  rule: string;
  ok: boolean;
  detail: string;
}

/** Whether entity, ServiceAccount and role were proven to belong together. */
export interface BindingResult {
  proven: boolean;
  /** Every rule looked at, in order (the first failing one is the message). */
  rules: BindingRule[];
  /** What to do when not proven; built from validated values, shell-quoted. */
  remediation?: string;
}

/** What the binding is decided on. */
export interface BindingInput {
  entityRef?: string;
  cluster: Pick<IrsaCluster, 'name' | 'accountId' | 'partition'>;
  namespace: string;
  serviceAccountName: string;
  /** The role reference, parsed; undefined when there is none. */
  roleArn?: { arn: string; parts: RoleArnParts };
  /** Where the ARN came from: only the entity's own may be repeated unproven. */
  roleArnSource:
    'entity' | 'service-account' | 'association' | 'default-name' | 'none';
  /** Why the given role ARN is not one (it is then not looked up). */
  roleArnProblem?: string;
  /** The role name looked up when no ARN was given. */
  defaultRoleName: string;
  /** undefined: no such role (or it was not looked up). */
  role?: RoleInfo;
  /** undefined: no such ServiceAccount. */
  serviceAccount?: ServiceAccountInfo;
  /** The ServiceAccount's EKS Pod Identity association; undefined: none. */
  association?: PodIdentityAssociationInfo;
}

/** The canonical, case-insensitive form of an entity ref; undefined when it is not one. */
export function normalizeEntityRef(ref: string | undefined) {
  if (!ref) return undefined;
  try {
    return stringifyEntityRef(parseEntityRef(ref)).toLocaleLowerCase('en-US');
  } catch {
    return undefined;
  }
}

const list = (v: unknown): unknown[] => (v === undefined ? [] : [v].flat());

/**
 * True when an Allow names exactly this ServiceAccount: as the web
 * identity's `:sub`, or as the namespace and ServiceAccount session tags EKS
 * Pod Identity sets.
 */
function trustNamesServiceAccount(
  role: RoleInfo,
  namespace: string,
  name: string,
): boolean {
  const subject = `system:serviceaccount:${namespace}:${name}`;
  const tag = (key: string) => `aws:RequestTag/${key}`;
  return role.trustPolicy.Statement.some((s: PolicyStatement) => {
    if (s.Effect !== 'Allow') return false;
    const equals = Object.entries(s.Condition?.StringEquals ?? {});
    const names = (suffix: string, value: string) =>
      equals.some(
        ([key, values]) => key.endsWith(suffix) && list(values).includes(value),
      );
    return (
      names(':sub', subject) ||
      (names(tag(POD_IDENTITY_SESSION_TAGS.namespace), namespace) &&
        names(tag(POD_IDENTITY_SESSION_TAGS.serviceAccount), name))
    );
  });
}

/** The text of the first case that holds, else `otherwise`. */
function firstOf<T>(cases: Array<[boolean, T]>, otherwise: T): T {
  return cases.find(([holds]) => holds)?.[1] ?? otherwise;
}

const TEMPLATE_HINT = 'run the IRSA template (aws:irsa:create) for this entity';

/**
 * Decides whether the role and ServiceAccount belong to the entity, before
 * any policy is read or token minted. The rules, all of which must hold:
 * 1. the request names a valid entity ref;
 * 2. there is a role reference: a well-formed role ARN (from the entity or
 *    the ServiceAccount), or a role under the default name;
 * 3. the ARN's partition and account are the cluster's configured ones;
 * 4. when the role exists: its real ARN (path included) is the ARN given,
 *    its `irsa.dev/entity-ref` tag is this entity, and its
 *    `irsa.dev/cluster` / `irsa.dev/service-account` tags, when set, name
 *    this cluster and ServiceAccount;
 * 5. when the ServiceAccount exists: its `irsa.dev/entity-ref` annotation,
 *    when set, is this entity; its `eks.amazonaws.com/role-arn`, when set,
 *    is the role; and (when the role exists) it is tied to the role by its
 *    ownership annotation, the role's `irsa.dev/service-account` tag, or a
 *    trust policy naming exactly this ServiceAccount;
 * 6. when the ServiceAccount has an EKS Pod Identity association: its
 *    `irsa.dev/entity-ref` tag, when set, is this entity, and it gives pods
 *    the role (an association tagged for this entity also ties the
 *    ServiceAccount to the role in rule 5, as does a trust pinning the
 *    namespace and ServiceAccount session tags);
 * 7. something proves ownership: the role (rule 4) or, when the role does
 *    not exist, the ServiceAccount's ownership annotation or the
 *    association's ownership tag.
 */
export function evaluateBinding(input: BindingInput): BindingResult {
  const rules: BindingRule[] = [];
  const add = (rule: string, ok: boolean, detail: string) => {
    rules.push({ rule, ok, detail });
    return ok;
  };
  const done = (remediation?: string): BindingResult => {
    const proven = rules.every(r => r.ok);
    return { proven, rules, ...(proven ? {} : { remediation }) };
  };
  const entity = normalizeEntityRef(input.entityRef);
  const saRef = `${input.namespace}/${input.serviceAccountName}`;

  if (
    !add(
      'entity',
      entity !== undefined,
      firstOf(
        [
          [entity !== undefined, `verifying for ${entity}`],
          [
            Boolean(input.entityRef),
            'the entity ref is not valid (kind:namespace/name)',
          ],
        ],
        'no entity ref: a verification without one cannot prove whose role this is',
      ),
    )
  ) {
    return done(
      'Verify through the entity (its IAM card, or aws:irsa:verify with entityRef)',
    );
  }

  if (input.roleArnProblem) {
    add(
      'role-arn',
      false,
      `the role ARN is not valid: ${input.roleArnProblem}`,
    );
    return done(
      `Correct irsa.dev/role-arn (arn:aws:iam::ACCOUNT:role/NAME), or ${TEMPLATE_HINT}`,
    );
  }
  if (!input.roleArn) {
    add(
      'role-arn',
      false,
      `role unknown: the entity has no irsa.dev/role-arn, the ServiceAccount no ${EKS_ROLE_ARN_ANNOTATION}, and no role named ${input.defaultRoleName} exists`,
    );
    return done(
      `To create the role and annotate the ServiceAccount, ${TEMPLATE_HINT}`,
    );
  }
  const { arn, parts } = input.roleArn;
  const own = input.roleArnSource === 'entity';
  const origin: Record<BindingInput['roleArnSource'], string> = {
    entity: 'irsa.dev/role-arn',
    'service-account': `the ServiceAccount's ${EKS_ROLE_ARN_ANNOTATION}`,
    association: "the ServiceAccount's Pod Identity association",
    'default-name': 'the default role name',
    none: 'nowhere',
  };
  add('role-arn', true, `role ARN from ${origin[input.roleArnSource]}`);
  const sameAccount = parts.accountId === input.cluster.accountId;
  const samePartition = parts.partition === input.cluster.partition;
  let accountDetail = `role in the cluster's account ${parts.accountId}`;
  if (!sameAccount)
    accountDetail = `the role ARN names ${own ? `account ${parts.accountId}` : 'another account'}; cluster ${input.cluster.name} is in ${input.cluster.accountId}, where its IRSA roles live`;
  else if (!samePartition)
    accountDetail = `the role ARN's partition is ${parts.partition}; the cluster's is ${input.cluster.partition}`;
  if (!add('account', sameAccount && samePartition, accountDetail)) {
    return done(
      `Point irsa.dev/role-arn at a role in account ${input.cluster.accountId}, or ${TEMPLATE_HINT}`,
    );
  }

  const role = input.role;
  const account = input.serviceAccount;
  const accountOwner = normalizeEntityRef(
    account?.annotations[IRSA_ENTITY_REF_KEY],
  );
  const association = input.association;
  const associationOwner = normalizeEntityRef(
    association?.tags[IRSA_ENTITY_REF_KEY],
  );
  let remediation: string | undefined;
  const fail = (text: string) => {
    remediation ??= text;
  };

  if (role) {
    if (
      !add(
        'role-path',
        role.arn === arn,
        role.arn === arn
          ? `role ${role.name} is at ${role.path}`
          : `the ARN names path ${parts.path}, but the role named ${role.name} is at ${role.path}: a different role`,
      )
    ) {
      fail(
        `Use the role's real ARN in irsa.dev/role-arn and the ServiceAccount, or ${TEMPLATE_HINT}`,
      );
    }
    const tagged = role.tags[IRSA_ENTITY_REF_KEY];
    const owner = normalizeEntityRef(tagged);
    if (
      !add(
        'role-owner',
        owner === entity,
        firstOf(
          [
            [owner === entity, `role tagged ${IRSA_ENTITY_REF_KEY}=${entity}`],
            [
              tagged !== undefined,
              `the role is tagged ${IRSA_ENTITY_REF_KEY} for another entity`,
            ],
          ],
          `the role has no ${IRSA_ENTITY_REF_KEY} tag`,
        ),
      )
    ) {
      fail(
        tagged
          ? `The role belongs to another entity: point irsa.dev/role-arn at this entity's own role, or ${TEMPLATE_HINT}`
          : `Adopt the role: ${TEMPLATE_HINT} with adoption (needs irsa.role.adopt), or tag it yourself: aws iam tag-role --role-name ${shellQuote(role.name)} --tags ${shellQuote(`Key=${IRSA_ENTITY_REF_KEY},Value=${entity}`)}`,
      );
    }
    const taggedCluster = role.tags[IRSA_CLUSTER_TAG];
    const taggedAccount = role.tags[IRSA_SERVICE_ACCOUNT_TAG];
    const targetOk =
      (taggedCluster === undefined || taggedCluster === input.cluster.name) &&
      (taggedAccount === undefined || taggedAccount === saRef);
    // Where another entity's role is used is that entity's to know.
    const wrongTarget =
      owner === entity
        ? `the role is tagged for ServiceAccount ${taggedAccount ?? saRef} on cluster ${taggedCluster ?? input.cluster.name}, not ${saRef} on ${input.cluster.name}`
        : `the role is tagged for another ServiceAccount or cluster, not ${saRef} on ${input.cluster.name}`;
    if (
      !add(
        'role-target',
        targetOk,
        targetOk
          ? `role serves ${saRef} on ${input.cluster.name}`
          : wrongTarget,
      )
    ) {
      fail(
        `Point irsa.dev/service-account and irsa.dev/cluster at the ServiceAccount the role serves, or ${TEMPLATE_HINT}`,
      );
    }
  }

  if (account) {
    const rawOwner = account.annotations[IRSA_ENTITY_REF_KEY];
    if (
      !add(
        'service-account-owner',
        rawOwner === undefined || accountOwner === entity,
        firstOf(
          [
            [
              rawOwner === undefined,
              `ServiceAccount ${saRef} has no ${IRSA_ENTITY_REF_KEY} annotation`,
            ],
            [
              accountOwner === entity,
              `ServiceAccount ${saRef} is annotated ${IRSA_ENTITY_REF_KEY}=${entity}`,
            ],
          ],
          `ServiceAccount ${saRef} belongs to another entity`,
        ),
      )
    ) {
      fail(
        `Point irsa.dev/service-account at this entity's own ServiceAccount, or ${TEMPLATE_HINT}`,
      );
    }
    const annotated = account.annotations[EKS_ROLE_ARN_ANNOTATION];
    if (
      !add(
        'service-account-role',
        annotated === undefined || annotated === arn,
        firstOf(
          [
            [
              annotated === undefined,
              `ServiceAccount ${saRef} has no ${EKS_ROLE_ARN_ANNOTATION} yet`,
            ],
            [
              annotated === arn,
              `ServiceAccount ${saRef} is annotated with the role`,
            ],
          ],
          `ServiceAccount ${saRef} is annotated with another role`,
        ),
      )
    ) {
      fail(
        `Make irsa.dev/role-arn and the ServiceAccount's ${EKS_ROLE_ARN_ANNOTATION} name the same role, or ${TEMPLATE_HINT}`,
      );
    }
    if (role) {
      const tie = firstOf<string | undefined>(
        [
          [accountOwner === entity, `its ${IRSA_ENTITY_REF_KEY} annotation`],
          [
            role.tags[IRSA_SERVICE_ACCOUNT_TAG] === saRef,
            `the role's ${IRSA_SERVICE_ACCOUNT_TAG} tag`,
          ],
          [
            associationOwner === entity && association?.roleArn === arn,
            'its Pod Identity association',
          ],
          [
            trustNamesServiceAccount(
              role,
              input.namespace,
              input.serviceAccountName,
            ),
            "the role's trust policy",
          ],
        ],
        undefined,
      );
      if (
        !add(
          'service-account-tie',
          tie !== undefined,
          tie
            ? `ServiceAccount ${saRef} is tied to the role by ${tie}`
            : `nothing ties ServiceAccount ${saRef} to the role (no ownership annotation, no ${IRSA_SERVICE_ACCOUNT_TAG} tag, no trust in exactly this ServiceAccount)`,
        )
      ) {
        fail(`Adopt the ServiceAccount: ${TEMPLATE_HINT} with adoption`);
      }
    }
  }

  if (association) {
    const id = association.associationId;
    const rawOwner = association.tags[IRSA_ENTITY_REF_KEY];
    if (
      !add(
        'association-owner',
        rawOwner === undefined || associationOwner === entity,
        firstOf(
          [
            [
              rawOwner === undefined,
              `Pod Identity association ${id} has no ${IRSA_ENTITY_REF_KEY} tag`,
            ],
            [
              associationOwner === entity,
              `Pod Identity association ${id} is tagged ${IRSA_ENTITY_REF_KEY}=${entity}`,
            ],
          ],
          `the Pod Identity association of ${saRef} belongs to another entity`,
        ),
      )
    ) {
      fail(
        `Point irsa.dev/service-account at this entity's own ServiceAccount, or ${TEMPLATE_HINT} with adoption`,
      );
    }
    if (
      !add(
        'association-role',
        association.roleArn === arn,
        association.roleArn === arn
          ? `Pod Identity association ${id} gives pods the role`
          : `the Pod Identity association of ${saRef} gives pods another role`,
      )
    ) {
      fail(
        `Make irsa.dev/role-arn name the role of the ServiceAccount's Pod Identity association, or ${TEMPLATE_HINT}`,
      );
    }
  }

  if (!role) {
    const owned = accountOwner === entity || associationOwner === entity;
    let owner = `ServiceAccount ${saRef} ${account ? `is not annotated ${IRSA_ENTITY_REF_KEY}=${entity}` : 'does not exist'}`;
    if (association && associationOwner !== entity)
      owner += ` and its Pod Identity association is not tagged ${IRSA_ENTITY_REF_KEY}=${entity}`;
    if (
      !add(
        'ownership',
        owned,
        owned
          ? `the role ${parts.roleName} does not exist; ${accountOwner === entity ? `ServiceAccount ${saRef}` : `the Pod Identity association of ${saRef}`} belongs to this entity`
          : `nothing here is proven to belong to this entity: the role ${parts.roleName} does not exist and ${owner}`,
      )
    ) {
      fail(`To create the role and ServiceAccount, ${TEMPLATE_HINT}`);
    }
  }
  return done(remediation);
}

/**
 * The binding as check evidence. Unproven, only the failing rules say why:
 * the passing ones would describe someone else's role or ServiceAccount.
 */
export function bindingEvidence(result: BindingResult): {
  [key: string]: EvidenceValue;
} {
  const rules = result.rules.map((r): EvidenceValue =>
    result.proven || !r.ok
      ? { rule: r.rule, ok: r.ok, detail: r.detail }
      : { rule: r.rule, ok: r.ok },
  );
  return { rules };
}
