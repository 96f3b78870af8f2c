import Box from '@material-ui/core/Box';
import Typography from '@material-ui/core/Typography';
import { makeStyles } from '@material-ui/core/styles';
import { Progress, ResponseErrorPanel } from '@backstage/core-components';
import { useApi } from '@backstage/core-plugin-api';
import type {
  CheckStatus,
  ReportSummary,
} from '@backstage-irsa/plugin-irsa-common';
import useAsync from 'react-use/esm/useAsync';
import { irsaApiRef } from '../../api';
import { StatusLine } from '../EntityIrsaCard/StatusIcon';
import { relativeTime } from '../EntityIrsaCard/ReportParts';
import { describeChange, type HistoryChange } from './historyChanges';

/** How many reports the timeline shows. */
export const HISTORY_LIMIT = 20;

const useStyles = makeStyles(theme => ({
  item: {
    borderLeft: `2px solid ${theme.palette.divider}`,
    paddingLeft: theme.spacing(2),
    paddingBottom: theme.spacing(1.5),
  },
  change: {
    fontFamily: 'monospace',
    fontSize: theme.typography.body2.fontSize,
  },
}));

const COUNT_ORDER: CheckStatus[] = [
  'pass',
  'warn',
  'fail',
  'unknown',
  'skipped',
];

function countsText(counts: ReportSummary['counts']): string {
  return COUNT_ORDER.filter(status => counts[status] > 0)
    .map(status => `${counts[status]} ${status}`)
    .join(' · ');
}

const ChangeLines = ({ change }: { change: HistoryChange }) => {
  const classes = useStyles();
  const lines = {
    first: ['first report in the history'],
    unrecorded: ['changes not recorded (older report)'],
    none: ['no change'],
    changed: change.kind === 'changed' ? change.lines : [],
  }[change.kind];
  return (
    <>
      {lines.map(line => (
        <Typography
          key={line}
          component="div"
          className={classes.change}
          data-testid="irsa-history-change"
        >
          {line}
        </Typography>
      ))}
    </>
  );
};

/**
 * The entity's past reports, newest first, each with what changed since the
 * one before it. `refreshKey` changes when a new report is stored (Re-verify).
 */
export const HistoryTimeline = ({
  entityRef,
  refreshKey,
}: {
  entityRef: string;
  refreshKey?: string;
}) => {
  const classes = useStyles();
  const api = useApi(irsaApiRef);
  // One more than shown, so the oldest shown report has a predecessor to diff.
  const history = useAsync(
    () => api.getHistory(entityRef, HISTORY_LIMIT + 1),
    [api, entityRef, refreshKey],
  );
  if (history.loading && !history.value) return <Progress />;
  if (history.error) return <ResponseErrorPanel error={history.error} />;
  const items = history.value?.items ?? [];
  if (items.length === 0) {
    return <Typography variant="body2">No reports stored yet.</Typography>;
  }
  const now = Date.now();
  return (
    <Box data-testid="irsa-history">
      <Typography variant="caption" color="textSecondary" paragraph>
        Newest first. “Failing” counts warnings and checks that could not run.
      </Typography>
      {items.slice(0, HISTORY_LIMIT).map((item, index) => (
        <Box
          key={`${item.verifiedAt}-${index}`}
          className={classes.item}
          data-testid="irsa-history-item"
          data-verified-at={item.verifiedAt}
          data-status={item.status}
        >
          <Typography variant="body2" component="div">
            <StatusLine status={item.status}>
              <strong title={new Date(item.verifiedAt).toLocaleString()}>
                {new Date(item.verifiedAt).toLocaleString()}
              </strong>{' '}
              ({relativeTime(item.verifiedAt, now)}, {item.trigger}):{' '}
              {item.status}
            </StatusLine>
          </Typography>
          <Typography variant="caption" color="textSecondary" component="div">
            {countsText(item.counts)}
          </Typography>
          <ChangeLines change={describeChange(item, items[index + 1])} />
        </Box>
      ))}
    </Box>
  );
};
