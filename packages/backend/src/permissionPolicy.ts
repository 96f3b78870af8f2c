import {
  coreServices,
  createBackendModule,
} from '@backstage/backend-plugin-api';
import {
  irsaEntityVerifyPermission,
  irsaRoleAdoptPermission,
  irsaRoleCreatePermission,
  irsaRoleDeletePermission,
  irsaRoleMigratePermission,
  irsaRoleUpdatePermission,
  irsaWorkloadRestartPermission,
} from '@backstage-irsa/plugin-irsa-common';
import {
  AuthorizeResult,
  PolicyDecision,
} from '@backstage/plugin-permission-common';
import {
  PermissionPolicy,
  PolicyQuery,
} from '@backstage/plugin-permission-node';
import { policyExtensionPoint } from '@backstage/plugin-permission-node/alpha';

/**
 * The demo portal's policy: everyone may do everything, except that
 * `demo.allowIrsaMutations: false` denies re-verifying, creating, updating, adopting, migrating and deleting roles and restarting workloads,
 * which is how the read-only guest of the browser tests is configured.
 */
export class DemoPermissionPolicy implements PermissionPolicy {
  constructor(private readonly allowIrsaMutations: boolean) {}

  async handle(request: PolicyQuery): Promise<PolicyDecision> {
    const name = request.permission.name;
    const isIrsaMutation =
      name === irsaEntityVerifyPermission.name ||
      name === irsaRoleCreatePermission.name ||
      name === irsaRoleAdoptPermission.name ||
      name === irsaRoleDeletePermission.name ||
      name === irsaRoleMigratePermission.name ||
      name === irsaRoleUpdatePermission.name ||
      name === irsaWorkloadRestartPermission.name;
    if (isIrsaMutation && !this.allowIrsaMutations) {
      return { result: AuthorizeResult.DENY };
    }
    return { result: AuthorizeResult.ALLOW };
  }
}

export const demoPermissionPolicyModule = createBackendModule({
  pluginId: 'permission',
  moduleId: 'demo-policy',
  register(reg) {
    reg.registerInit({
      deps: {
        policy: policyExtensionPoint,
        config: coreServices.rootConfig,
      },
      async init({ policy, config }) {
        // The production overlay selects IrsaPermissionPolicy instead.
        if (
          config.getOptionalString('irsa.permissions.policy') === 'platform'
        ) {
          return;
        }
        policy.setPolicy(
          new DemoPermissionPolicy(
            config.getOptionalBoolean('demo.allowIrsaMutations') ?? true,
          ),
        );
      },
    });
  },
});
