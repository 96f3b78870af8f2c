import {
  createPermission,
  type ResourcePermission,
} from '@backstage/plugin-permission-common';

/** The catalog's resource type; our entity permissions are conditional on catalog entities. */
export const RESOURCE_TYPE_CATALOG_ENTITY = 'catalog-entity';

/** Read the stored IRSA report of a catalog entity. */
export const irsaEntityReadPermission: ResourcePermission<'catalog-entity'> =
  createPermission({
    name: 'irsa.entity.read',
    attributes: { action: 'read' },
    resourceType: RESOURCE_TYPE_CATALOG_ENTITY,
  });

/** Re-run every check for a catalog entity now (calls AWS and the cluster). */
export const irsaEntityVerifyPermission: ResourcePermission<'catalog-entity'> =
  createPermission({
    name: 'irsa.entity.verify',
    attributes: { action: 'update' },
    resourceType: RESOURCE_TYPE_CATALOG_ENTITY,
  });

/** Create or update an IRSA role and its ServiceAccount (the scaffolder action). */
export const irsaRoleCreatePermission = createPermission({
  name: 'irsa.role.create',
  attributes: { action: 'create' },
});

/**
 * Take over a role or ServiceAccount that another entity owns, or that nobody
 * manages. Conditional on the catalog entity, so ownership rules apply: the
 * caller needs it on the entity it provisions for and, when the role belongs
 * to another catalog entity, on that entity too.
 */
export const irsaRoleAdoptPermission: ResourcePermission<'catalog-entity'> =
  createPermission({
    name: 'irsa.role.adopt',
    attributes: { action: 'update' },
    resourceType: RESOURCE_TYPE_CATALOG_ENTITY,
  });

/**
 * Decommission an entity's IRSA role: unbind the ServiceAccount, delete the
 * policies this project created and the role (aws:irsa:delete). Conditional
 * on the catalog entity, so ownership rules apply.
 */
export const irsaRoleDeletePermission: ResourcePermission<'catalog-entity'> =
  createPermission({
    name: 'irsa.role.delete',
    attributes: { action: 'delete' },
    resourceType: RESOURCE_TYPE_CATALOG_ENTITY,
  });

/**
 * Change the IRSA resources an entity already has (aws:irsa:create run
 * again for it: its role's trust and policies, its ServiceAccount, its
 * association). Conditional on the catalog entity, so ownership rules
 * apply: `irsa.role.create` alone only provisions for an entity that has
 * nothing yet, since the template's entityRef is whatever its user typed.
 */
export const irsaRoleUpdatePermission: ResourcePermission<'catalog-entity'> =
  createPermission({
    name: 'irsa.role.update',
    attributes: { action: 'update' },
    resourceType: RESOURCE_TYPE_CATALOG_ENTITY,
  });

/**
 * Migrate an entity's workload between IRSA and EKS Pod Identity
 * (aws:irsa:migrate): rewrites its role's trust, its association and its
 * ServiceAccount. Conditional on the catalog entity, so ownership rules apply.
 */
export const irsaRoleMigratePermission: ResourcePermission<'catalog-entity'> =
  createPermission({
    name: 'irsa.role.migrate',
    attributes: { action: 'update' },
    resourceType: RESOURCE_TYPE_CATALOG_ENTITY,
  });

/**
 * Restart the workloads (Deployments, StatefulSets, DaemonSets) whose pods
 * run with a catalog entity's ServiceAccount but started before it was
 * annotated (`kubectl rollout restart`). Conditional on the catalog entity,
 * so ownership rules apply.
 */
export const irsaWorkloadRestartPermission: ResourcePermission<'catalog-entity'> =
  createPermission({
    name: 'irsa.workload.restart',
    attributes: { action: 'update' },
    resourceType: RESOURCE_TYPE_CATALOG_ENTITY,
  });

/**
 * See the platform's view of the fleet: what belongs to nobody (roles whose
 * entity is gone, entities and ServiceAccounts whose role is gone). Not
 * conditional: orphans by definition have no catalog entity to own them.
 */
export const irsaFleetReadPermission = createPermission({
  name: 'irsa.fleet.read',
  attributes: { action: 'read' },
});

/** Every permission this plugin defines, for `permissionsRegistry.addPermissions`. */
export const irsaPermissions = [
  irsaEntityReadPermission,
  irsaEntityVerifyPermission,
  irsaRoleCreatePermission,
  irsaRoleAdoptPermission,
  irsaRoleUpdatePermission,
  irsaRoleDeletePermission,
  irsaRoleMigratePermission,
  irsaWorkloadRestartPermission,
  irsaFleetReadPermission,
];
