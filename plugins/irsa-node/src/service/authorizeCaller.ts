import type {
  BackstageCredentials,
  BackstageServicePrincipal,
  PermissionsService,
} from '@backstage/backend-plugin-api';
import {
  AuthorizeResult,
  type BasicPermission,
  type ResourcePermission,
} from '@backstage/plugin-permission-common';

/** One permission question about the real caller. */
export type CallerPermissionRequest =
  | { permission: BasicPermission }
  | { permission: ResourcePermission; resourceRef: string };

function isServicePrincipal(
  credentials: BackstageCredentials,
): credentials is BackstageCredentials<BackstageServicePrincipal> {
  return (credentials.principal as { type?: string }).type === 'service';
}

/**
 * False for a service principal whose access restrictions do not name the
 * permission (Backstage's permission client would otherwise allow it without
 * asking the policy); true for everyone else.
 */
export function isPermissionNamedForService(
  credentials: BackstageCredentials,
  permission: { name: string },
): boolean {
  if (!isServicePrincipal(credentials)) return true;
  const named = credentials.principal.accessRestrictions?.permissionNames ?? [];
  return named.includes(permission.name);
}

/**
 * Asks the permission framework about the real caller and answers true only
 * on ALLOW. Backstage's permission client allows every service principal
 * unless its access restrictions say otherwise, so for IAM-writing
 * permissions a service principal counts as allowed only when its
 * `accessRestrictions.permissionNames` name the permission explicitly
 * (`backend.auth.externalAccess[].accessRestrictions`).
 */
export async function isCallerAllowed(
  permissions: PermissionsService,
  credentials: BackstageCredentials,
  request: CallerPermissionRequest,
): Promise<boolean> {
  if (!isPermissionNamedForService(credentials, request.permission))
    return false;
  const [decision] =
    'resourceRef' in request
      ? await permissions.authorize(
          [
            {
              permission: request.permission,
              resourceRef: request.resourceRef,
            },
          ],
          { credentials },
        )
      : await permissions.authorize([{ permission: request.permission }], {
          credentials,
        });
  return decision.result === AuthorizeResult.ALLOW;
}
