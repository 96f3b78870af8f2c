import { useCallback, useEffect, useState } from 'react';
import Box from '@material-ui/core/Box';
import Button from '@material-ui/core/Button';
import Chip from '@material-ui/core/Chip';
import Divider from '@material-ui/core/Divider';
import LinearProgress from '@material-ui/core/LinearProgress';
import Typography from '@material-ui/core/Typography';
import {
  CopyTextButton,
  EmptyState,
  InfoCard,
  Link,
  Progress,
  ResponseErrorPanel,
} from '@backstage/core-components';
import { useApi } from '@backstage/core-plugin-api';
import { stringifyEntityRef } from '@backstage/catalog-model';
import { useEntity } from '@backstage/plugin-catalog-react';
import { usePermission } from '@backstage/plugin-permission-react';
import {
  irsaEntityVerifyPermission,
  type StoredReportResponse,
  type VerificationReport,
} from '@backstage-irsa/plugin-irsa-common';
import useAsync from 'react-use/esm/useAsync';
import { IrsaCooldownError, irsaApiRef } from '../../api';
import { ChecksList } from './ChecksList';
import { AllowlistSection, PoliciesSection } from './PoliciesSection';
import { StatusLine } from './StatusIcon';

const SUMMARY: Record<VerificationReport['status'], string> = {
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

function relativeTime(iso: string, now: number): string {
  const seconds = Math.max(
    0,
    Math.round((now - new Date(iso).getTime()) / 1000),
  );
  if (seconds < 60) return `${seconds} s ago`;
  if (seconds < 3600) return `${Math.round(seconds / 60)} min ago`;
  if (seconds < 86400) return `${Math.round(seconds / 3600)} h ago`;
  return `${Math.round(seconds / 86400)} d ago`;
}

const Section = ({
  title,
  children,
}: {
  title: string;
  children: React.ReactNode;
}) => (
  <Box mt={2}>
    <Typography variant="subtitle2" gutterBottom>
      {title}
    </Typography>
    {children}
  </Box>
);

/**
 * The IAM card: role, policies, allowlist and the debugging checklist of the
 * entity's IRSA wiring, from the stored report; Re-verify runs every check now.
 */
export const EntityIrsaCard = () => {
  const { entity } = useEntity();
  const entityRef = stringifyEntityRef(entity);
  const api = useApi(irsaApiRef);
  const { allowed: mayVerify } = usePermission({
    permission: irsaEntityVerifyPermission,
    resourceRef: entityRef,
  });

  const loaded = useAsync(() => api.getReport(entityRef), [api, entityRef]);
  const [stored, setStored] = useState<StoredReportResponse | undefined>();
  const [verifying, setVerifying] = useState(false);
  const [verifyError, setVerifyError] = useState<Error | undefined>();
  const [cooldown, setCooldown] = useState(0);

  useEffect(() => setStored(loaded.value), [loaded.value]);
  useEffect(() => {
    if (cooldown <= 0) return undefined;
    const timer = setTimeout(() => setCooldown(cooldown - 1), 1000);
    return () => clearTimeout(timer);
  }, [cooldown]);

  const verify = useCallback(async () => {
    setVerifying(true);
    setVerifyError(undefined);
    try {
      setStored(await api.verify(entityRef));
    } catch (error) {
      if (error instanceof IrsaCooldownError)
        setCooldown(error.retryAfterSeconds);
      else setVerifyError(error as Error);
    } finally {
      setVerifying(false);
    }
  }, [api, entityRef]);

  const button = mayVerify ? (
    <Button
      variant="outlined"
      color="primary"
      onClick={verify}
      disabled={verifying || cooldown > 0}
    >
      {stored ? 'Re-verify' : 'Verify now'}
    </Button>
  ) : undefined;

  const title = 'IAM role (IRSA)';
  if (loaded.loading) {
    return (
      <InfoCard title={title}>
        <Progress />
      </InfoCard>
    );
  }
  if (loaded.error) {
    return (
      <InfoCard title={title}>
        <ResponseErrorPanel error={loaded.error} />
      </InfoCard>
    );
  }

  const report = stored?.report;
  const url = report && consoleUrl(report);
  return (
    <InfoCard
      title={title}
      subheader={
        report && (
          <span
            data-testid="irsa-verified-at"
            data-verified-at={report.verifiedAt}
            title={new Date(report.verifiedAt).toLocaleString()}
          >
            Verified {relativeTime(report.verifiedAt, Date.now())} (
            {new Date(report.verifiedAt).toLocaleString()}, {report.trigger})
            {stored?.stale && (
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
        )
      }
      action={report ? button : undefined}
    >
      {verifying && (
        <Box mb={1}>
          <LinearProgress />
          <Typography variant="caption">
            Verifying: asking AWS and the cluster…
          </Typography>
        </Box>
      )}
      {cooldown > 0 && (
        <Typography
          variant="body2"
          color="textSecondary"
          data-testid="irsa-cooldown"
        >
          Verified moments ago. Re-verify available in {cooldown} s.
        </Typography>
      )}
      {verifyError && <ResponseErrorPanel error={verifyError} />}
      {!report ? (
        <EmptyState
          missing="data"
          title="Not verified yet"
          description={
            mayVerify
              ? 'No report is stored for this entity. Verify now to run every check against AWS and the cluster.'
              : 'No report is stored for this entity yet; the scheduled verification will create one.'
          }
          action={button}
        />
      ) : (
        <>
          <Typography
            variant="h6"
            data-testid="irsa-overall"
            data-status={report.status}
          >
            <StatusLine status={report.status}>
              {SUMMARY[report.status]}
            </StatusLine>
          </Typography>
          <Section title="Role">
            {report.roleArn ? (
              <Typography variant="body2" component="div">
                <code data-testid="irsa-role-arn">{report.roleArn}</code>
                <CopyTextButton
                  text={report.roleArn}
                  tooltipText="Role ARN copied"
                />
                {url && <Link to={url}>Open in the AWS console</Link>}
              </Typography>
            ) : (
              <Typography variant="body2">No role ARN found.</Typography>
            )}
            <Typography variant="caption" color="textSecondary">
              ServiceAccount {report.namespace}/{report.serviceAccount} on
              cluster {report.cluster}
              {report.roleLastUsed?.lastUsedDate
                ? ` · last used ${new Date(report.roleLastUsed.lastUsedDate).toLocaleString()}`
                : ''}
            </Typography>
          </Section>
          <Section title="Debugging checklist">
            <ChecksList checks={report.checks} />
          </Section>
          <Section title="Attached policies">
            <PoliciesSection policies={report.policies} />
          </Section>
          <Section title="IP allowlist">
            <AllowlistSection entries={report.allowlist} />
          </Section>
          <Divider />
        </>
      )}
    </InfoCard>
  );
};
