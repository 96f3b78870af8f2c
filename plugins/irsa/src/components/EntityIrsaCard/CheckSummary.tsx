import { useState, type ReactNode } from 'react';
import Box from '@material-ui/core/Box';
import Button from '@material-ui/core/Button';
import Collapse from '@material-ui/core/Collapse';
import Typography from '@material-ui/core/Typography';
import { makeStyles } from '@material-ui/core/styles';
import {
  checkTitle,
  type CheckResult,
} from '@backstage-irsa/plugin-irsa-common';
import { StatusLine } from './StatusIcon';

const useStyles = makeStyles(theme => ({
  problem: { padding: theme.spacing(0.5, 0) },
  remediation: {
    fontFamily: 'monospace',
    fontSize: theme.typography.body2.fontSize,
    background: theme.palette.background.default,
    padding: theme.spacing(0.25, 1),
    marginLeft: theme.spacing(3),
    wordBreak: 'break-all',
    whiteSpace: 'pre-wrap',
  },
}));

/** Checks that need attention: failing, warning, or could not run. */
export const needsAttention = (check: CheckResult) =>
  check.status === 'fail' ||
  check.status === 'warn' ||
  check.status === 'unknown';

/**
 * The card's view of the checklist: one line per check that needs attention,
 * with its fix and whatever `action` offers for it (such as "Restart pods");
 * the passing (and skipped) checks folded into a count.
 */
export const CheckSummary = ({
  checks,
  action,
}: {
  checks: CheckResult[];
  action?: (check: CheckResult) => ReactNode;
}) => {
  const classes = useStyles();
  const [open, setOpen] = useState(false);
  const problems = checks.filter(needsAttention);
  const passed = checks.filter(c => c.status === 'pass');
  const skipped = checks.filter(c => c.status === 'skipped');
  const folded = [...passed, ...skipped];
  const label = [
    `${passed.length} ${passed.length === 1 ? 'check' : 'checks'} passed`,
    skipped.length ? `${skipped.length} skipped` : '',
  ]
    .filter(Boolean)
    .join(', ');
  return (
    <Box data-testid="irsa-check-summary">
      {problems.map(check => (
        <Box
          key={check.id}
          className={classes.problem}
          data-testid={`irsa-problem-${check.id}`}
          data-status={check.status}
        >
          <Typography variant="body2" component="div">
            <StatusLine status={check.status}>
              <strong>{checkTitle(check)}</strong>
              {check.remediation ? '' : `: ${check.message}`}
            </StatusLine>
          </Typography>
          {check.remediation && (
            <Typography
              component="div"
              className={classes.remediation}
              data-testid={`irsa-problem-remediation-${check.id}`}
            >
              {check.remediation}
            </Typography>
          )}
          {action?.(check)}
        </Box>
      ))}
      {folded.length > 0 && (
        <>
          <Button
            size="small"
            onClick={() => setOpen(!open)}
            aria-expanded={open}
            style={{ textTransform: 'none' }}
          >
            {label}
          </Button>
          <Collapse in={open} unmountOnExit>
            {folded.map(check => (
              <Typography
                key={check.id}
                variant="body2"
                component="div"
                data-testid={`irsa-passed-${check.id}`}
                data-status={check.status}
              >
                <StatusLine status={check.status}>
                  {checkTitle(check)}
                </StatusLine>
              </Typography>
            ))}
          </Collapse>
        </>
      )}
    </Box>
  );
};
