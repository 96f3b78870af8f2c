import {
  irsaEntityReadPermission,
  irsaEntityVerifyPermission,
  irsaRoleCreatePermission,
  irsaRoleDeletePermission,
  irsaRoleMigratePermission,
  irsaRoleUpdatePermission,
  irsaWorkloadRestartPermission,
} from '@backstage-irsa/plugin-irsa-common';
import { AuthorizeResult } from '@backstage/plugin-permission-common';
import { DemoPermissionPolicy } from './permissionPolicy';

describe('DemoPermissionPolicy', () => {
  it('allows every IRSA permission by default', async () => {
    const policy = new DemoPermissionPolicy(true);
    for (const permission of [
      irsaEntityReadPermission,
      irsaEntityVerifyPermission,
      irsaRoleCreatePermission,
      irsaRoleDeletePermission,
      irsaRoleMigratePermission,
      irsaRoleUpdatePermission,
    ]) {
      await expect(policy.handle({ permission })).resolves.toEqual({
        result: AuthorizeResult.ALLOW,
      });
    }
  });

  it('denies verify and role creation, but not reading, for the read-only demo', async () => {
    const policy = new DemoPermissionPolicy(false);
    await expect(
      policy.handle({ permission: irsaEntityVerifyPermission }),
    ).resolves.toEqual({ result: AuthorizeResult.DENY });
    await expect(
      policy.handle({ permission: irsaRoleCreatePermission }),
    ).resolves.toEqual({ result: AuthorizeResult.DENY });
    await expect(
      policy.handle({ permission: irsaRoleDeletePermission }),
    ).resolves.toEqual({ result: AuthorizeResult.DENY });
    await expect(
      policy.handle({ permission: irsaRoleMigratePermission }),
    ).resolves.toEqual({ result: AuthorizeResult.DENY });
    await expect(
      policy.handle({ permission: irsaRoleUpdatePermission }),
    ).resolves.toEqual({ result: AuthorizeResult.DENY });
    await expect(
      policy.handle({ permission: irsaWorkloadRestartPermission }),
    ).resolves.toEqual({ result: AuthorizeResult.DENY });
    await expect(
      policy.handle({ permission: irsaEntityReadPermission }),
    ).resolves.toEqual({ result: AuthorizeResult.ALLOW });
  });
});
