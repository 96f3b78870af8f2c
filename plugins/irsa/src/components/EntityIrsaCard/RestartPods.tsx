import Box from '@material-ui/core/Box';
import Button from '@material-ui/core/Button';
import LinearProgress from '@material-ui/core/LinearProgress';
import Typography from '@material-ui/core/Typography';
import { ResponseErrorPanel } from '@backstage/core-components';
import {
  podsNeedingRestart,
  type CheckResult,
  type WorkloadRestartResponse,
} from '@backstage-irsa/plugin-irsa-common';
import type { WorkloadRestartState } from '../../hooks/useWorkloadRestart';

/**
 * Whether a check result says pods must restart to get their credentials
 * (pod-injection or pod-identity-injection naming pods in `restartNeeded`).
 */
export function needsPodRestart(check: CheckResult): boolean {
  return podsNeedingRestart(check).length > 0;
}

const workloadName = (w: { kind: string; name: string }) =>
  `${w.kind.toLowerCase()}/${w.name}`;

/** One sentence on a restart: what restarted, failed or was skipped, and the re-verification. */
export function describeRestartResult(result: WorkloadRestartResponse): string {
  const parts: string[] = [];
  if (result.restarted.length)
    parts.push(`Restarted ${result.restarted.map(workloadName).join(', ')}`);
  for (const failed of result.failed)
    parts.push(`Could not restart ${workloadName(failed)}: ${failed.message}`);
  for (const skipped of result.skipped)
    parts.push(`Not restarted: pod ${skipped.pod} (${skipped.reason})`);
  if (!parts.length) parts.push('Nothing to restart');
  parts.push(
    'report' in result.verification
      ? 'verified again'
      : `verifying again failed: ${result.verification.error}`,
  );
  return parts.join('; ');
}

/** "Restart pods" on a restart-needed line, for callers who may restart. */
export const RestartPodsButton = ({
  check,
  state,
}: {
  check: CheckResult;
  state: WorkloadRestartState;
}) =>
  state.mayRestart && needsPodRestart(check) ? (
    <Box ml={3} mt={0.5}>
      <Button
        size="small"
        variant="outlined"
        color="primary"
        onClick={state.restart}
        disabled={state.restarting}
      >
        Restart pods
      </Button>
    </Box>
  ) : null;

/** Progress while restarting, then the outcome or the error. */
export const RestartFeedback = ({ state }: { state: WorkloadRestartState }) => (
  <>
    {state.restarting && (
      <Box mb={1}>
        <LinearProgress />
        <Typography variant="caption">
          Restarting the pods' workloads, then verifying again…
        </Typography>
      </Box>
    )}
    {state.result && (
      <Typography
        variant="body2"
        component="div"
        data-testid="irsa-restart-result"
      >
        {describeRestartResult(state.result)}
      </Typography>
    )}
    {state.error && <ResponseErrorPanel error={state.error} />}
  </>
);
