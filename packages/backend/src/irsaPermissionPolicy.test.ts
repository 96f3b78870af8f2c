import { mockServices } from '@backstage/backend-test-utils';
import {
  AuthorizeResult,
  createPermission,
} from '@backstage/plugin-permission-common';
import type { PolicyQueryUser } from '@backstage/plugin-permission-node';
import {
  irsaEntityReadPermission,
  irsaEntityVerifyPermission,
  irsaFleetReadPermission,
  irsaRoleAdoptPermission,
  irsaRoleCreatePermission,
  irsaRoleMigratePermission,
  irsaRoleUpdatePermission,
  irsaWorkloadRestartPermission,
} from '@backstage-irsa/plugin-irsa-common';
import { IrsaPermissionPolicy } from './irsaPermissionPolicy';

const policy = IrsaPermissionPolicy.fromConfig(
  mockServices.rootConfig({
    data: {
      irsa: { permissions: { platformGroups: ['group:default/Platform'] } },
    },
  }),
);

const userWith = (...ownershipEntityRefs: string[]): PolicyQueryUser =>
  ({
    identity: {
      type: 'user',
      userEntityRef: ownershipEntityRefs[0],
      ownershipEntityRefs,
    },
    info: { userEntityRef: ownershipEntityRefs[0], ownershipEntityRefs },
    credentials: {},
    token: 't',
  }) as unknown as PolicyQueryUser;

const platform = userWith('user:default/pat', 'group:default/platform');
const developer = userWith('user:default/dev', 'group:default/payments');

describe('IrsaPermissionPolicy', () => {
  it('allows the platform groups every IRSA permission', async () => {
    for (const permission of [
      irsaRoleCreatePermission,
      irsaRoleAdoptPermission,
      irsaEntityVerifyPermission,
      irsaEntityReadPermission,
      irsaFleetReadPermission,
    ]) {
      expect(await policy.handle({ permission }, platform)).toEqual({
        result: AuthorizeResult.ALLOW,
      });
    }
  });

  it.each([irsaEntityVerifyPermission, irsaWorkloadRestartPermission])(
    'lets owners use $name only on their own entities, through a catalog condition',
    async permission => {
      expect(await policy.handle({ permission }, developer)).toEqual({
        result: AuthorizeResult.CONDITIONAL,
        pluginId: 'catalog',
        resourceType: 'catalog-entity',
        conditions: {
          rule: 'IS_ENTITY_OWNER',
          resourceType: 'catalog-entity',
          params: {
            claims: ['user:default/dev', 'group:default/payments'],
          },
        },
      });
    },
  );

  it('lets everyone read reports and denies the rest of irsa.* to non-platform users', async () => {
    expect(
      await policy.handle({ permission: irsaEntityReadPermission }, developer),
    ).toEqual({ result: AuthorizeResult.ALLOW });
    for (const permission of [
      irsaRoleCreatePermission,
      irsaRoleAdoptPermission,
      irsaRoleMigratePermission,
      irsaRoleUpdatePermission,
      irsaFleetReadPermission,
      createPermission({ name: 'irsa.future', attributes: {} }),
    ]) {
      expect(await policy.handle({ permission }, developer)).toEqual({
        result: AuthorizeResult.DENY,
      });
    }
  });

  it('allows reads and the scaffolder to everyone, other changes only to the platform', async () => {
    const read = createPermission({
      name: 'catalog.entity.read',
      attributes: { action: 'read' },
    });
    const task = createPermission({
      name: 'scaffolder.task.create',
      attributes: { action: 'create' },
    });
    const remove = createPermission({
      name: 'catalog.entity.delete',
      attributes: { action: 'delete' },
    });
    expect((await policy.handle({ permission: read }, developer)).result).toBe(
      AuthorizeResult.ALLOW,
    );
    expect((await policy.handle({ permission: task }, developer)).result).toBe(
      AuthorizeResult.ALLOW,
    );
    expect(
      (await policy.handle({ permission: remove }, developer)).result,
    ).toBe(AuthorizeResult.DENY);
    expect((await policy.handle({ permission: remove }, platform)).result).toBe(
      AuthorizeResult.ALLOW,
    );
  });

  it('denies a request without a user', async () => {
    expect(
      await policy.handle({ permission: irsaEntityReadPermission }),
    ).toEqual({ result: AuthorizeResult.DENY });
  });

  it.each([
    [{}, ''],
    [{ platformGroups: [] }, ''],
    [{ platformGroups: ['platform'] }, ' ("platform" is not one)'],
  ])('refuses %j naming the key', (permissions, detail) => {
    expect(() =>
      IrsaPermissionPolicy.fromConfig(
        mockServices.rootConfig({ data: { irsa: { permissions } } }),
      ),
    ).toThrow(
      `irsa.permissions.platformGroups: must list at least one group entity ref such as "group:default/platform"${detail}`,
    );
  });
});
