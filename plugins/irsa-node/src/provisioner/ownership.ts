import { createHash } from 'node:crypto';

/*
 * Who owns what this project writes. Roles and policies carry IAM tags; a
 * ServiceAccount carries a label (label values cannot hold entity refs) and
 * annotations. A run for one entity never rewrites another entity's
 * resources, or resources nobody manages, without adopting them.
 */

/** Tag and label keys that record ownership. */
export const OWNERSHIP = {
  managedBy: 'irsa.dev/managed-by',
  entityRef: 'irsa.dev/entity-ref',
  owner: 'irsa.dev/owner',
  cluster: 'irsa.dev/cluster',
  serviceAccount: 'irsa.dev/service-account',
} as const;
/** The value of `irsa.dev/managed-by` on everything this project writes. */
export const MANAGED_BY = 'backstage-irsa';
/** Role tags remembering which managed policies this project attached. */
export const ATTACHED_TAG_PREFIX = 'irsa.dev/attached-';

/** The role tag that remembers that we attached this managed policy. */
export function attachedPolicyTag(policyArn: string): string {
  const digest = createHash('sha256').update(policyArn).digest('hex');
  return `${ATTACHED_TAG_PREFIX}${digest.slice(0, 16)}`;
}

/** The managed policy ARNs a role's tags say this project attached. */
export function attachedByUs(tags: Record<string, string>): string[] {
  return Object.entries(tags)
    .filter(([key]) => key.startsWith(ATTACHED_TAG_PREFIX))
    .map(([, arn]) => arn);
}

/** What a resource says about its owner. */
export interface Ownership {
  /** Written by this project. */
  managed: boolean;
  entityRef?: string;
  owner?: string;
}

/** Ownership recorded in IAM tags. */
export function ownershipFromTags(tags: Record<string, string>): Ownership {
  return {
    managed: tags[OWNERSHIP.managedBy] === MANAGED_BY,
    entityRef: tags[OWNERSHIP.entityRef],
    owner: tags[OWNERSHIP.owner],
  };
}

/** Ownership recorded on a ServiceAccount. */
export function ownershipFromServiceAccount(account: {
  labels: Record<string, string>;
  annotations: Record<string, string>;
}): Ownership {
  return {
    managed: account.labels[OWNERSHIP.managedBy] === MANAGED_BY,
    entityRef: account.annotations[OWNERSHIP.entityRef],
    owner: account.annotations[OWNERSHIP.owner],
  };
}

/** A resource that belongs to someone else: taking it needs `adopt`. */
export interface Adoption {
  kind: 'role' | 'policy' | 'ServiceAccount' | 'Pod Identity association';
  name: string;
  /** The entity that owns it now; undefined when nobody manages it. */
  fromEntityRef?: string;
  fromOwner?: string;
}

/** Undefined when the resource is this entity's; otherwise what adopting it takes. */
export function adoptionNeeded(
  kind: Adoption['kind'],
  name: string,
  current: Ownership,
  entityRef: string,
): Adoption | undefined {
  if (current.managed && current.entityRef === entityRef) return undefined;
  return {
    kind,
    name,
    ...(current.managed && current.entityRef
      ? { fromEntityRef: current.entityRef, fromOwner: current.owner }
      : {}),
  };
}

/** "role X belongs to component:default/a (owner group:default/a)" or "… is not managed by IRSA for Backstage". */
export function describeAdoption(adoption: Adoption): string {
  const what = `${adoption.kind} ${adoption.name}`;
  if (!adoption.fromEntityRef)
    return `${what} exists and is not managed by IRSA for Backstage`;
  return `${what} belongs to ${adoption.fromEntityRef}${adoption.fromOwner ? ` (owner ${adoption.fromOwner})` : ''}`;
}
