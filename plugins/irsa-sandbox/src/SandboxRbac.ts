import type { AccessCheck } from '@backstage-irsa/plugin-irsa-node';
import { sandboxError } from './state';

/**
 * A right the sandbox's RBAC refuses to Backstage's identity. Without
 * `namespace` it is refused in every namespace; `group` defaults to the core
 * group.
 */
export interface SandboxDeniedAccess {
  verb: string;
  resource: string;
  subresource?: string;
  namespace?: string;
  group?: string;
}

/** The identity the sandbox's API server sees Backstage as (for 403 messages). */
const BACKSTAGE_USER = 'system:serviceaccount:backstage:backstage';

/** The sandbox clusters' RBAC: every right is granted unless a test denied it. */
export class SandboxRbac {
  /** Denials per cluster. */
  private readonly denied = new Map<string, SandboxDeniedAccess[]>();

  deny(cluster: string, access: SandboxDeniedAccess): void {
    this.denied.set(cluster, [...(this.denied.get(cluster) ?? []), access]);
  }

  /** Lifts the denials with exactly these fields. */
  allow(cluster: string, access: SandboxDeniedAccess): void {
    const same = (a: SandboxDeniedAccess) =>
      a.verb === access.verb &&
      a.resource === access.resource &&
      a.subresource === access.subresource &&
      a.namespace === access.namespace &&
      (a.group ?? '') === (access.group ?? '');
    this.denied.set(
      cluster,
      (this.denied.get(cluster) ?? []).filter(a => !same(a)),
    );
  }

  isDenied(cluster: string, check: AccessCheck): boolean {
    return (this.denied.get(cluster) ?? []).some(
      d =>
        d.verb === check.verb &&
        d.resource === check.resource &&
        d.subresource === check.subresource &&
        (d.group ?? '') === (check.group ?? '') &&
        (d.namespace === undefined || d.namespace === check.namespace),
    );
  }

  /** Refuses like RBAC does: 403 Forbidden naming the user, verb and resource. */
  authorize(
    cluster: string,
    operation: string,
    check: AccessCheck & { name?: string },
  ): void {
    if (!this.isDenied(cluster, check)) return;
    const resource = check.subresource
      ? `${check.resource}/${check.subresource}`
      : check.resource;
    const object = check.name ? ` "${check.name}"` : '';
    throw sandboxError(
      'access-denied',
      operation,
      '403',
      `${check.resource}${object} is forbidden: User "${BACKSTAGE_USER}" cannot ${check.verb} resource "${resource}" in API group "${check.group ?? ''}" in the namespace "${check.namespace}"`,
    );
  }
}
