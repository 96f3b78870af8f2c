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
  if (isServicePrincipal(credentials)) {
    const named =
      credentials.principal.accessRestrictions?.permissionNames ?? [];
    if (!named.includes(request.permission.name)) return false;
  }
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
