import {
  coreServices,
  createBackendModule,
  type RootConfigService,
} from '@backstage/backend-plugin-api';
import { InputError } from '@backstage/errors';
import {
  catalogConditions,
  createCatalogConditionalDecision,
} from '@backstage/plugin-catalog-backend/alpha';
import {
  AuthorizeResult,
  isPermission,
  isReadPermission,
  type PolicyDecision,
} from '@backstage/plugin-permission-common';
import type {
  PermissionPolicy,
  PolicyQuery,
  PolicyQueryUser,
} from '@backstage/plugin-permission-node';
import { policyExtensionPoint } from '@backstage/plugin-permission-node/alpha';
import {
  irsaEntityReadPermission,
  irsaEntityVerifyPermission,
  irsaWorkloadRestartPermission,
} from '@backstage-irsa/plugin-irsa-common';

const GROUP_REF = /^group:[^/:\s]+\/[^/:\s]+$/;

/**
 * A production policy for IRSA:
 * - members of `irsa.permissions.platformGroups` may do everything, including
 *   irsa.role.create, irsa.role.adopt and irsa.entity.verify on any entity;
 * - owners may verify their own entities and restart their workloads
 *   (irsa.workload.restart; a catalog ownership condition);
 * - every signed-in user may read IAM reports (irsa.entity.read);
 * - any other irsa.* permission is denied.
 * Other plugins' permissions: reads and the scaffolder's own permissions are
 * allowed (aws:irsa:create checks irsa.role.create itself); every other
 * change is for the platform groups. Replace this part with your own policy
 * if you have one: only the irsa.* rules are IRSA's.
 */
export class IrsaPermissionPolicy implements PermissionPolicy {
  constructor(private readonly platformGroups: readonly string[]) {}

  /** Reads `irsa.permissions.platformGroups` (group refs, at least one). */
  static fromConfig(config: RootConfigService): IrsaPermissionPolicy {
    const key = 'irsa.permissions.platformGroups';
    const groups = config.getOptionalStringArray(key) ?? [];
    const normalised = groups.map(g => g.toLocaleLowerCase('en-US'));
    const bad = normalised.find(g => !GROUP_REF.test(g));
    if (!normalised.length || bad !== undefined) {
      throw new InputError(
        `${key}: must list at least one group entity ref such as "group:default/platform"${bad !== undefined ? ` ("${bad}" is not one)` : ''}`,
      );
    }
    return new IrsaPermissionPolicy(normalised);
  }

  async handle(
    request: PolicyQuery,
    user?: PolicyQueryUser,
  ): Promise<PolicyDecision> {
    const { permission } = request;
    if (!user) return { result: AuthorizeResult.DENY };
    const claims = user.info.ownershipEntityRefs.map(ref =>
      ref.toLocaleLowerCase('en-US'),
    );
    const isPlatform = claims.some(ref => this.platformGroups.includes(ref));
    if (isPlatform) return { result: AuthorizeResult.ALLOW };

    if (permission.name.startsWith('irsa.')) {
      if (isPermission(permission, irsaEntityReadPermission)) {
        return { result: AuthorizeResult.ALLOW };
      }
      if (
        isPermission(permission, irsaEntityVerifyPermission) ||
        isPermission(permission, irsaWorkloadRestartPermission)
      ) {
        return createCatalogConditionalDecision(
          permission,
          catalogConditions.isEntityOwner({ claims }),
        );
      }
      return { result: AuthorizeResult.DENY };
    }
    if (
      isReadPermission(permission) ||
      permission.name.startsWith('scaffolder.')
    ) {
      return { result: AuthorizeResult.ALLOW };
    }
    return { result: AuthorizeResult.DENY };
  }
}

/**
 * Installs {@link IrsaPermissionPolicy} when `irsa.permissions.policy` is
 * `platform` (app-config.production.yaml); otherwise the demo policy module
 * decides. Both modules are added; exactly one sets the policy.
 */
export const irsaPermissionPolicyModule = createBackendModule({
  pluginId: 'permission',
  moduleId: 'irsa-policy',
  register(reg) {
    reg.registerInit({
      deps: {
        policy: policyExtensionPoint,
        config: coreServices.rootConfig,
      },
      async init({ policy, config }) {
        if (
          config.getOptionalString('irsa.permissions.policy') !== 'platform'
        ) {
          return;
        }
        policy.setPolicy(IrsaPermissionPolicy.fromConfig(config));
      },
    });
  },
});
