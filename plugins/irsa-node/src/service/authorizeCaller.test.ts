import { mockCredentials, mockServices } from '@backstage/backend-test-utils';
import { AuthorizeResult } from '@backstage/plugin-permission-common';
import {
  irsaRoleAdoptPermission,
  irsaRoleCreatePermission,
} from '@backstage-irsa/plugin-irsa-common';
import {
  isCallerAllowed,
  isPermissionNamedForService,
} from './authorizeCaller';

describe('isCallerAllowed', () => {
  it('asks the policy about a user and follows its decision', async () => {
    const permissions = mockServices.permissions.mock();
    permissions.authorize.mockResolvedValueOnce([
      { result: AuthorizeResult.DENY },
    ]);
    const credentials = mockCredentials.user('user:default/mallory');
    await expect(
      isCallerAllowed(permissions, credentials, {
        permission: irsaRoleAdoptPermission,
        resourceRef: 'component:default/cart',
      }),
    ).resolves.toBe(false);
    expect(permissions.authorize).toHaveBeenCalledWith(
      [
        {
          permission: irsaRoleAdoptPermission,
          resourceRef: 'component:default/cart',
        },
      ],
      { credentials },
    );
  });

  it('refuses a service principal whose access restrictions do not name the permission, without asking', async () => {
    const permissions = mockServices.permissions.mock();
    permissions.authorize.mockResolvedValue([
      { result: AuthorizeResult.ALLOW },
    ]);
    await expect(
      isCallerAllowed(permissions, mockCredentials.service('external:ci'), {
        permission: irsaRoleCreatePermission,
      }),
    ).resolves.toBe(false);
    await expect(
      isCallerAllowed(
        permissions,
        mockCredentials.service('external:ci', {
          permissionNames: ['catalog.entity.read'],
        }),
        { permission: irsaRoleCreatePermission },
      ),
    ).resolves.toBe(false);
    expect(permissions.authorize).not.toHaveBeenCalled();
  });

  it('asks the policy about a service principal that names the permission explicitly', async () => {
    const permissions = mockServices.permissions.mock();
    permissions.authorize.mockResolvedValue([
      { result: AuthorizeResult.ALLOW },
    ]);
    const credentials = mockCredentials.service('external:ci', {
      permissionNames: ['irsa.role.create'],
    });
    await expect(
      isCallerAllowed(permissions, credentials, {
        permission: irsaRoleCreatePermission,
      }),
    ).resolves.toBe(true);
    expect(permissions.authorize).toHaveBeenCalledWith(
      [{ permission: irsaRoleCreatePermission }],
      { credentials },
    );
  });
});

describe('isPermissionNamedForService', () => {
  it('holds for users, and for a service principal only when its access restrictions name the permission', () => {
    expect(
      isPermissionNamedForService(
        mockCredentials.user('user:default/ada'),
        irsaRoleCreatePermission,
      ),
    ).toBe(true);
    expect(
      isPermissionNamedForService(
        mockCredentials.service('external:ci'),
        irsaRoleCreatePermission,
      ),
    ).toBe(false);
    expect(
      isPermissionNamedForService(
        mockCredentials.service('external:ci', {
          permissionNames: ['irsa.role.create'],
        }),
        irsaRoleCreatePermission,
      ),
    ).toBe(true);
  });
});
