import { LinkButton } from '@backstage/core-components';
import { useRouteRef } from '@backstage/core-plugin-api';
import { usePermission } from '@backstage/plugin-permission-react';
import {
  irsaRoleDeletePermission,
  irsaRoleMigratePermission,
  type VerificationReport,
} from '@backstage-irsa/plugin-irsa-common';
import { scaffolderTemplateRouteRef } from '../../routes';
import { MECHANISM_LABELS } from '../EntityIrsaCard/ReportParts';

/** The template "Decommission IRSA for a component" (templates/irsa-decommission). */
export const DECOMMISSION_TEMPLATE = {
  namespace: 'default',
  templateName: 'irsa-decommission',
};

/** The template "Move a component between IRSA and EKS Pod Identity" (templates/irsa-migrate). */
export const MIGRATE_TEMPLATE = {
  namespace: 'default',
  templateName: 'irsa-migrate',
};

/** A template's page with its form prefilled. */
function useTemplateLink() {
  const templateRoute = useRouteRef(scaffolderTemplateRouteRef);
  return (
    template: typeof DECOMMISSION_TEMPLATE,
    formData: Record<string, string>,
  ) => {
    // An app that has not bound the route still serves the scaffolder at /create.
    const path = templateRoute
      ? templateRoute(template)
      : `/create/templates/${template.namespace}/${template.templateName}`;
    return `${path}?formData=${encodeURIComponent(JSON.stringify(formData))}`;
  };
}

/**
 * Opens the decommission template with the entity filled in; shown only to
 * callers who hold irsa.role.delete on the entity.
 */
export const DecommissionButton = ({ entityRef }: { entityRef: string }) => {
  const { allowed } = usePermission({
    permission: irsaRoleDeletePermission,
    resourceRef: entityRef,
  });
  const link = useTemplateLink();
  if (!allowed) return null;
  return (
    <LinkButton
      to={link(DECOMMISSION_TEMPLATE, { entityRef })}
      variant="outlined"
      color="secondary"
      title="Unbind the ServiceAccount, delete the policies this project created and the role"
    >
      Decommission
    </LinkButton>
  );
};

/**
 * The migration template's next step for this report: finish the migration
 * under way, or start one to the other mechanism.
 */
export function nextMigrationStep(report: VerificationReport): {
  to: 'irsa' | 'pod-identity';
  step: 'start' | 'finish';
  label: string;
} {
  if (report.migration) {
    return {
      to: report.migration.to,
      step: 'finish',
      label: `Finish the move to ${MECHANISM_LABELS[report.migration.to]}`,
    };
  }
  const to = report.mechanism === 'pod-identity' ? 'irsa' : 'pod-identity';
  return { to, step: 'start', label: `Move to ${MECHANISM_LABELS[to]}` };
}

/**
 * Opens the migration template with the entity, the direction and the step
 * filled in; shown only to callers who hold irsa.role.migrate on the entity.
 */
export const MigrateButton = ({
  entityRef,
  report,
}: {
  entityRef: string;
  report: VerificationReport;
}) => {
  const { allowed } = usePermission({
    permission: irsaRoleMigratePermission,
    resourceRef: entityRef,
  });
  const link = useTemplateLink();
  if (!allowed) return null;
  const { to, step, label } = nextMigrationStep(report);
  return (
    <LinkButton
      to={link(MIGRATE_TEMPLATE, { entityRef, to, step })}
      variant="outlined"
      color="primary"
      title="Open the migration template for this component (dry run available)"
    >
      {label}
    </LinkButton>
  );
};
