import Box from '@material-ui/core/Box';
import Grid from '@material-ui/core/Grid';
import Typography from '@material-ui/core/Typography';
import {
  EmptyState,
  InfoCard,
  Link,
  Progress,
  ResponseErrorPanel,
} from '@backstage/core-components';
import { stringifyEntityRef } from '@backstage/catalog-model';
import { useEntity } from '@backstage/plugin-catalog-react';
import { useIrsaReport } from '../../hooks/useIrsaReport';
import { ChecksList } from '../EntityIrsaCard/ChecksList';
import {
  AllowlistSection,
  PoliciesSection,
} from '../EntityIrsaCard/PoliciesSection';
import {
  OverallStatus,
  RoleArn,
  VerifiedAt,
  VerifyButton,
  VerifyFeedback,
  consoleUrl,
  MechanismLine,
} from '../EntityIrsaCard/ReportParts';
import { DecommissionButton, MigrateButton } from './TemplateButtons';
import { HistoryTimeline } from './HistoryTimeline';

/**
 * The IAM tab: the whole report (every check with its evidence, the policy
 * documents, allowlist coverage), the report history with what changed
 * between reports, Re-verify, the next migration step, and Decommission.
 */
export const EntityIrsaContent = () => {
  const { entity } = useEntity();
  const entityRef = stringifyEntityRef(entity);
  const state = useIrsaReport(entityRef);

  if (state.loading) return <Progress />;
  if (state.loadError) return <ResponseErrorPanel error={state.loadError} />;

  const { stored } = state;
  const report = stored?.report;
  const url = report && consoleUrl(report);
  const actions = (
    <Box display="flex" style={{ gap: 8 }}>
      <VerifyButton state={state} />
      {report && <MigrateButton entityRef={entityRef} report={report} />}
      <DecommissionButton entityRef={entityRef} />
    </Box>
  );
  return (
    <Grid container spacing={3} data-testid="irsa-content">
      <Grid item xs={12} md={7}>
        <InfoCard
          title="AWS IAM role"
          subheader={stored && <VerifiedAt stored={stored} />}
          action={actions}
        >
          <VerifyFeedback state={state} />
          {!report ? (
            <EmptyState
              missing="data"
              title="Not verified yet"
              description="No report is stored for this entity yet."
            />
          ) : (
            <>
              <Box display="flex" alignItems="center" flexWrap="wrap">
                <OverallStatus report={report} />
                <MechanismLine report={report} />
              </Box>
              <Typography variant="body2" component="div">
                <RoleArn report={report} />
                {url && <Link to={url}>Open in the AWS console</Link>}
              </Typography>
              <Typography variant="caption" color="textSecondary">
                ServiceAccount {report.namespace}/{report.serviceAccount} on
                cluster {report.cluster}
                {report.podIdentityAssociationId
                  ? ` · Pod Identity association ${report.podIdentityAssociationId}`
                  : ''}
                {report.roleLastUsed?.lastUsedDate
                  ? ` · last used ${new Date(report.roleLastUsed.lastUsedDate).toLocaleString()}`
                  : ''}
              </Typography>
            </>
          )}
        </InfoCard>
        {report && (
          <Box mt={3}>
            <InfoCard title="Debugging checklist">
              <ChecksList checks={report.checks} />
            </InfoCard>
          </Box>
        )}
      </Grid>
      <Grid item xs={12} md={5}>
        <InfoCard title="History">
          <HistoryTimeline
            entityRef={entityRef}
            refreshKey={report?.verifiedAt}
          />
        </InfoCard>
        {report && (
          <>
            <Box mt={3}>
              <InfoCard title="Attached policies">
                <PoliciesSection policies={report.policies} />
              </InfoCard>
            </Box>
            <Box mt={3}>
              <InfoCard title="IP allowlist">
                <AllowlistSection entries={report.allowlist} />
              </InfoCard>
            </Box>
          </>
        )}
      </Grid>
    </Grid>
  );
};
