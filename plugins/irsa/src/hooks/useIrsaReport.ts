import { useCallback, useEffect, useState } from 'react';
import { useApi } from '@backstage/core-plugin-api';
import { usePermission } from '@backstage/plugin-permission-react';
import {
  irsaEntityVerifyPermission,
  type StoredReportResponse,
} from '@backstage-irsa/plugin-irsa-common';
import useAsync from 'react-use/esm/useAsync';
import { IrsaCooldownError, irsaApiRef } from '../api';

/** The stored report of one entity and the Re-verify action, as card and tab share them. */
export interface IrsaReportState {
  loading: boolean;
  /** Loading the stored report failed. */
  loadError?: Error;
  /** The latest report; replaced in place after a Re-verify. */
  stored?: StoredReportResponse;
  /** Whether the caller holds irsa.entity.verify on the entity. */
  mayVerify: boolean;
  verifying: boolean;
  /** The last Re-verify failed (other than the cooldown). */
  verifyError?: Error;
  /** Seconds until the server accepts another Re-verify; 0 when it does. */
  cooldown: number;
  verify: () => Promise<void>;
  /** Shows a report made elsewhere (a restart's re-verification) in place of the stored one. */
  showReport: (response: StoredReportResponse) => void;
}

/** Loads the entity's stored report and runs Re-verify with progress and cooldown. */
export function useIrsaReport(entityRef: string): IrsaReportState {
  const api = useApi(irsaApiRef);
  const { allowed: mayVerify } = usePermission({
    permission: irsaEntityVerifyPermission,
    resourceRef: entityRef,
  });
  const loaded = useAsync(() => api.getReport(entityRef), [api, entityRef]);
  // A Re-verify's report replaces the loaded one, for the entity it was made for.
  const [verified, setVerified] = useState<{
    entityRef: string;
    response: StoredReportResponse;
  }>();
  const [verifying, setVerifying] = useState(false);
  const [verifyError, setVerifyError] = useState<Error | undefined>();
  const [cooldown, setCooldown] = useState(0);
  const stored =
    verified?.entityRef === entityRef ? verified.response : loaded.value;

  useEffect(() => {
    if (cooldown <= 0) return undefined;
    const timer = setTimeout(() => setCooldown(cooldown - 1), 1000);
    return () => clearTimeout(timer);
  }, [cooldown]);

  const verify = useCallback(async () => {
    setVerifying(true);
    setVerifyError(undefined);
    try {
      setVerified({ entityRef, response: await api.verify(entityRef) });
    } catch (error) {
      if (error instanceof IrsaCooldownError)
        setCooldown(error.retryAfterSeconds);
      else setVerifyError(error as Error);
    } finally {
      setVerifying(false);
    }
  }, [api, entityRef]);

  const showReport = useCallback(
    (response: StoredReportResponse) => setVerified({ entityRef, response }),
    [entityRef],
  );

  return {
    loading: loaded.loading,
    loadError: loaded.error,
    stored,
    mayVerify,
    verifying,
    verifyError,
    cooldown,
    verify,
    showReport,
  };
}
