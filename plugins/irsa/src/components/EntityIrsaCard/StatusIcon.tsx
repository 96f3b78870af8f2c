import {
  StatusAborted,
  StatusError,
  StatusOK,
  StatusPending,
  StatusWarning,
} from '@backstage/core-components';
import type { CheckStatus } from '@backstage-irsa/plugin-irsa-common';

const LABELS: Record<CheckStatus, string> = {
  pass: 'Pass',
  warn: 'Warning',
  fail: 'Fail',
  unknown: 'Unknown',
  skipped: 'Skipped',
};

/** The catalog's status indicators, labelled for screen readers. */
export const StatusIcon = ({
  status,
  label,
}: {
  status: CheckStatus;
  label?: string;
}) => {
  const text = label ?? LABELS[status];
  switch (status) {
    case 'pass':
      return <StatusOK aria-label={text}>{label}</StatusOK>;
    case 'warn':
      return <StatusWarning aria-label={text}>{label}</StatusWarning>;
    case 'fail':
      return <StatusError aria-label={text}>{label}</StatusError>;
    case 'skipped':
      return <StatusAborted aria-label={text}>{label}</StatusAborted>;
    default:
      return <StatusPending aria-label={text}>{label}</StatusPending>;
  }
};
