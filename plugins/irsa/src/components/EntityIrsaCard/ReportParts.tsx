import Box from '@material-ui/core/Box';
import Button from '@material-ui/core/Button';
import Chip from '@material-ui/core/Chip';
import LinearProgress from '@material-ui/core/LinearProgress';
import Typography from '@material-ui/core/Typography';
import { CopyTextButton, ResponseErrorPanel } from '@backstage/core-components';
import type {
  IdentityMechanism,
  StoredReportResponse,
  VerificationReport,
} from '@backstage-irsa/plugin-irsa-common';
import type { IrsaReportState } from '../../hooks/useIrsaReport';
import { StatusLine } from './StatusIcon';

/** One sentence per overall status, shown beside its icon. */
export const SUMMARY: Record<VerificationReport['status'], string> = {
  pass: 'Every check passes',
  warn: 'Works, with warnings',
  fail: 'Broken: see the failing checks',
  unknown: 'Some checks could not run',
};

/** The AWS console page of a role (partition-aware). */
export function consoleUrl(report: VerificationReport): string | undefined {
  if (!report.roleArn || !report.roleName) return undefined;
  const partition = report.roleArn.split(':')[1];
  const host = {
    aws: 'console.aws.amazon.com',
    'aws-cn': 'console.amazonaws.cn',
    'aws-us-gov': 'console.amazonaws-us-gov.com',
  }[partition];
  return host
    ? `https://${host}/iam/home#/roles/details/${encodeURIComponent(report.roleName)}`
    : undefined;
}

/** "12 s ago", "3 min ago", "2 h ago", "4 d ago". */
export function relativeTime(iso: string, now: number): string {
  const seconds = Math.max(
    0,
    Math.round((now - new Date(iso).getTime()) / 1000),
  );
  if (seconds < 60) return `${seconds} s ago`;
  if (seconds < 3600) return `${Math.round(seconds / 60)} min ago`;
  if (seconds < 86400) return `${Math.round(seconds / 3600)} h ago`;
  return `${Math.round(seconds / 86400)} d ago`;
}

/** When the report was made and by what, with the stale and Sandbox badges. */
export const VerifiedAt = ({ stored }: { stored: StoredReportResponse }) => {
  const { report } = stored;
  const at = new Date(report.verifiedAt).toLocaleString();
  return (
    <span
      data-testid="irsa-verified-at"
      data-verified-at={report.verifiedAt}
      title={at}
    >
      Verified {relativeTime(report.verifiedAt, Date.now())} ({at},{' '}
      {report.trigger})
      {stored.stale && (
        <Chip size="small" label="stale" style={{ marginLeft: 8 }} />
      )}
      {report.environment === 'sandbox' && (
        <Chip
          size="small"
          color="secondary"
          label="Sandbox"
          title="Made on the embedded in-memory sandbox, not real AWS"
          data-testid="irsa-sandbox"
          style={{ marginLeft: 8 }}
        />
      )}
    </span>
  );
};

/** Re-verify (or Verify now), only for callers who hold irsa.entity.verify. */
export const VerifyButton = ({ state }: { state: IrsaReportState }) =>
  state.mayVerify ? (
    <Button
      variant="outlined"
      color="primary"
      onClick={state.verify}
      disabled={state.verifying || state.cooldown > 0}
    >
      {state.stored ? 'Re-verify' : 'Verify now'}
    </Button>
  ) : null;

/** Progress while verifying, the cooldown, or the verify error. */
export const VerifyFeedback = ({ state }: { state: IrsaReportState }) => (
  <>
    {state.verifying && (
      <Box mb={1}>
        <LinearProgress />
        <Typography variant="caption">
          Verifying: asking AWS and the cluster…
        </Typography>
      </Box>
    )}
    {state.cooldown > 0 && (
      <Typography
        variant="body2"
        color="textSecondary"
        data-testid="irsa-cooldown"
      >
        Verified moments ago. Re-verify available in {state.cooldown} s.
      </Typography>
    )}
    {state.verifyError && <ResponseErrorPanel error={state.verifyError} />}
  </>
);

/** The overall status: icon and one sentence. */
export const OverallStatus = ({ report }: { report: VerificationReport }) => (
  <Typography
    variant="h6"
    component="div"
    data-testid="irsa-overall"
    data-status={report.status}
  >
    <StatusLine status={report.status}>{SUMMARY[report.status]}</StatusLine>
  </Typography>
);

/** The role ARN with a copy button, or a note that there is none. */
export const RoleArn = ({ report }: { report: VerificationReport }) =>
  report.roleArn ? (
    <>
      <code data-testid="irsa-role-arn">{report.roleArn}</code>
      <CopyTextButton text={report.roleArn} tooltipText="Role ARN copied" />
    </>
  ) : (
    <span data-testid="irsa-role-arn-missing">No role ARN found.</span>
  );

/** What each mechanism is called on the card and the fleet page. */
export const MECHANISM_LABELS: Record<IdentityMechanism, string> = {
  irsa: 'IRSA',
  'pod-identity': 'EKS Pod Identity',
};

/** How the workload gets its credentials (reports from before Pod Identity are IRSA). */
export function mechanismLabel(report: VerificationReport): string {
  return MECHANISM_LABELS[report.mechanism ?? 'irsa'] ?? 'IRSA';
}

/** "Migrating to EKS Pod Identity: 2 of 3 pods still on IRSA". */
export function migrationSummary(
  report: VerificationReport,
): string | undefined {
  const migration = report.migration;
  if (!migration) return undefined;
  const to = MECHANISM_LABELS[migration.to];
  const from = MECHANISM_LABELS[migration.from];
  const { podsOnOld, pods } = migration;
  const progress =
    podsOnOld === 0
      ? `every running pod is on ${to}: finish the migration`
      : `${podsOnOld} of ${pods} pod${pods === 1 ? '' : 's'} still on ${from}`;
  return `Migrating to ${to}: ${progress}`;
}

/** The mechanism chip, and the migration's progress while one is under way. */
export const MechanismLine = ({ report }: { report: VerificationReport }) => {
  const migration = migrationSummary(report);
  return (
    <>
      <Chip
        size="small"
        label={mechanismLabel(report)}
        title="How the workload gets its AWS credentials"
        data-testid="irsa-mechanism"
        data-mechanism={report.mechanism ?? 'irsa'}
        style={{ marginLeft: 8 }}
      />
      {migration && (
        <Chip
          size="small"
          color="primary"
          variant="outlined"
          label={migration}
          data-testid="irsa-migration"
          style={{ marginLeft: 8 }}
        />
      )}
    </>
  );
};
