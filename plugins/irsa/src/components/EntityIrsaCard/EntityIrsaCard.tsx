import Box from '@material-ui/core/Box';
import Typography from '@material-ui/core/Typography';
import {
  EmptyState,
  InfoCard,
  Progress,
  ResponseErrorPanel,
} from '@backstage/core-components';
import { useRouteRef } from '@backstage/core-plugin-api';
import { stringifyEntityRef } from '@backstage/catalog-model';
import {
  entityRouteParams,
  entityRouteRef,
  useEntity,
} from '@backstage/plugin-catalog-react';
import { useIrsaReport } from '../../hooks/useIrsaReport';
import { useWorkloadRestart } from '../../hooks/useWorkloadRestart';
import { IRSA_TAB_PATH } from '../../routes';
import { CheckSummary } from './CheckSummary';
import { RestartFeedback, RestartPodsButton } from './RestartPods';
import {
  OverallStatus,
  RoleArn,
  VerifiedAt,
  VerifyButton,
  VerifyFeedback,
  MechanismLine,
} from './ReportParts';

/**
 * The compact IAM card: overall status, mechanism (and a migration's
 * progress), role ARN, one line per
 * check that needs attention with its fix ("Restart pods" on a restart
 * needed), the passing checks as a count, Re-verify, and a link to the IAM
 * tab with the full report and its history.
 */
export const EntityIrsaCard = () => {
  const { entity } = useEntity();
  const entityRef = stringifyEntityRef(entity);
  const state = useIrsaReport(entityRef);
  const restart = useWorkloadRestart(entityRef, state.showReport);
  const entityRoute = useRouteRef(entityRouteRef);
  const detailsUrl = `${entityRoute(entityRouteParams(entity))}/${IRSA_TAB_PATH}`;

  const title = 'AWS IAM role';
  if (state.loading) {
    return (
      <InfoCard title={title}>
        <Progress />
      </InfoCard>
    );
  }
  if (state.loadError) {
    return (
      <InfoCard title={title}>
        <ResponseErrorPanel error={state.loadError} />
      </InfoCard>
    );
  }

  const { stored } = state;
  return (
    <InfoCard
      title={title}
      subheader={stored && <VerifiedAt stored={stored} />}
      action={stored ? <VerifyButton state={state} /> : undefined}
      deepLink={stored ? { title: 'Details', link: detailsUrl } : undefined}
    >
      <VerifyFeedback state={state} />
      <RestartFeedback state={restart} />
      {!stored ? (
        <EmptyState
          missing="data"
          title="Not verified yet"
          description={
            state.mayVerify
              ? 'No report is stored for this entity. Verify now to run every check against AWS and the cluster.'
              : 'No report is stored for this entity yet; the scheduled verification will create one.'
          }
          action={<VerifyButton state={state} />}
        />
      ) : (
        <>
          <Box display="flex" alignItems="center" flexWrap="wrap">
            <OverallStatus report={stored.report} />
            <MechanismLine report={stored.report} />
          </Box>
          <Typography variant="body2" component="div">
            <RoleArn report={stored.report} />
          </Typography>
          <Box mt={1}>
            <CheckSummary
              checks={stored.report.checks}
              action={check => (
                <RestartPodsButton check={check} state={restart} />
              )}
            />
          </Box>
        </>
      )}
    </InfoCard>
  );
};
