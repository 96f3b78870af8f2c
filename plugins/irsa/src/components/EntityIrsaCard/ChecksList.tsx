import Box from '@material-ui/core/Box';
import Typography from '@material-ui/core/Typography';
import { makeStyles } from '@material-ui/core/styles';
import {
  checkTitle,
  type CheckResult,
} from '@backstage-irsa/plugin-irsa-common';
import { ExpandableJson } from './Expandable';
import { StatusLine } from './StatusIcon';

const useStyles = makeStyles(theme => ({
  row: {
    padding: theme.spacing(1, 0),
    borderBottom: `1px solid ${theme.palette.divider}`,
  },
  remediation: {
    fontFamily: 'monospace',
    fontSize: theme.typography.body2.fontSize,
    background: theme.palette.background.default,
    padding: theme.spacing(0.5, 1),
    marginTop: theme.spacing(0.5),
    wordBreak: 'break-all',
    whiteSpace: 'pre-wrap',
  },
}));

/** The debugging checklist: one row per check, failing ones with the fix. */
export const ChecksList = ({ checks }: { checks: CheckResult[] }) => {
  const classes = useStyles();
  return (
    <Box>
      {checks.map(check => (
        <Box
          key={check.id}
          className={classes.row}
          data-testid={`irsa-check-${check.id}`}
          data-status={check.status}
        >
          <Typography variant="body2" component="div">
            <StatusLine status={check.status}>
              <strong>{checkTitle(check)}</strong>: {check.message}
            </StatusLine>
          </Typography>
          {check.remediation && check.status !== 'pass' && (
            <Typography
              component="div"
              className={classes.remediation}
              data-testid={`irsa-remediation-${check.id}`}
            >
              {check.remediation}
            </Typography>
          )}
          {Object.keys(check.evidence).length > 0 && (
            <ExpandableJson label="evidence" value={check.evidence} />
          )}
        </Box>
      ))}
    </Box>
  );
};
