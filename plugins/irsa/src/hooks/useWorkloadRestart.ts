import { useCallback, useState } from 'react';
import { useApi } from '@backstage/core-plugin-api';
import { usePermission } from '@backstage/plugin-permission-react';
import {
  irsaWorkloadRestartPermission,
  type StoredReportResponse,
  type WorkloadRestartResponse,
} from '@backstage-irsa/plugin-irsa-common';
import { irsaApiRef } from '../api';

/** "Restart pods" of one entity: the permission, progress, and the last outcome. */
export interface WorkloadRestartState {
  /** Whether the caller holds irsa.workload.restart on the entity. */
  mayRestart: boolean;
  restarting: boolean;
  /** What the last restart did, until the next one starts. */
  result?: WorkloadRestartResponse;
  /** The last restart was refused or failed as a whole. */
  error?: Error;
  restart: () => Promise<void>;
}

/**
 * Restarts the workloads owning the entity's stale pods. The route verifies
 * again afterwards; its report goes to `onReport` so the card shows it in place.
 */
export function useWorkloadRestart(
  entityRef: string,
  onReport: (response: StoredReportResponse) => void,
): WorkloadRestartState {
  const api = useApi(irsaApiRef);
  const { allowed: mayRestart } = usePermission({
    permission: irsaWorkloadRestartPermission,
    resourceRef: entityRef,
  });
  const [restarting, setRestarting] = useState(false);
  const [result, setResult] = useState<WorkloadRestartResponse>();
  const [error, setError] = useState<Error>();

  const restart = useCallback(async () => {
    setRestarting(true);
    setResult(undefined);
    setError(undefined);
    try {
      const response = await api.restartWorkloads(entityRef);
      setResult(response);
      if ('report' in response.verification)
        onReport(response.verification.report);
    } catch (e) {
      setError(e as Error);
    } finally {
      setRestarting(false);
    }
  }, [api, entityRef, onReport]);

  return { mayRestart, restarting, result, error, restart };
}
