import type { ReactNode } from 'react';
import {
  StatusAborted,
  StatusError,
  StatusOK,
  StatusPending,
  StatusWarning,
} from '@backstage/core-components';
import type { CheckStatus } from '@backstage-irsa/plugin-irsa-common';

const COMPONENTS = {
  pass: StatusOK,
  warn: StatusWarning,
  fail: StatusError,
  skipped: StatusAborted,
  unknown: StatusPending,
};

/**
 * The catalog's status indicator with its text beside it. The core
 * components hide themselves from screen readers; the text here matters.
 */
export const StatusLine = ({
  status,
  children,
}: {
  status: CheckStatus;
  children: ReactNode;
}) => {
  const Status = COMPONENTS[status];
  return (
    <Status aria-hidden={false} aria-label={undefined}>
      <span>{children}</span>
    </Status>
  );
};
