import { LinkButton } from '@backstage/core-components';
import { useRouteRef } from '@backstage/core-plugin-api';
import { usePermission } from '@backstage/plugin-permission-react';
import { irsaRoleDeletePermission } from '@backstage-irsa/plugin-irsa-common';
import { scaffolderTemplateRouteRef } from '../../routes';

/** The template "Decommission IRSA for a component" (templates/irsa-decommission). */
export const DECOMMISSION_TEMPLATE = {
  namespace: 'default',
  templateName: 'irsa-decommission',
};

/**
 * Opens the decommission template with the entity filled in; shown only to
 * callers who hold irsa.role.delete on the entity.
 */
export const DecommissionButton = ({ entityRef }: { entityRef: string }) => {
  const { allowed } = usePermission({
    permission: irsaRoleDeletePermission,
    resourceRef: entityRef,
  });
  const templateRoute = useRouteRef(scaffolderTemplateRouteRef);
  if (!allowed) return null;
  // An app that has not bound the route still serves the scaffolder at /create.
  const templatePath = templateRoute
    ? templateRoute(DECOMMISSION_TEMPLATE)
    : `/create/templates/${DECOMMISSION_TEMPLATE.namespace}/${DECOMMISSION_TEMPLATE.templateName}`;
  const formData = encodeURIComponent(JSON.stringify({ entityRef }));
  return (
    <LinkButton
      to={`${templatePath}?formData=${formData}`}
      variant="outlined"
      color="secondary"
      title="Unbind the ServiceAccount, delete the policies this project created and the role"
    >
      Decommission
    </LinkButton>
  );
};
