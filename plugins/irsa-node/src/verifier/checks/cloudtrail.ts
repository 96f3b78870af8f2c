import { CHECK_TITLES } from '@backstage-irsa/plugin-irsa-common';
import type { IrsaCheck } from '../checkTypes';
import { safeCode } from '../sources';

/** `cloudtrail`: no recent failed calls for the role. */
export const cloudTrailCheck: IrsaCheck = {
  id: 'cloudtrail',
  title: CHECK_TITLES.cloudtrail,
  mechanism: 'any',
  dependsOn: ['role'],
  reads: ['cloudTrail'],
  run({ evidence: e, read }) {
    const failures = read('cloudTrail').filter(x => x.errorCode);
    const window = `the last ${e.cloudTrailLookbackMinutes} minutes (management events only)`;
    if (!failures.length) {
      return {
        status: 'pass',
        message: `No failed calls in ${window}`,
        evidence: { events: [] },
      };
    }
    return {
      status: 'warn',
      message: `${failures.length} failed call${failures.length === 1 ? '' : 's'} in ${window}: ${[...new Set(failures.map(f => `${f.eventName} ${safeCode(f.errorCode) ?? 'error'}`))].join(', ')}`,
      // Only what identifies the call: CloudTrail's free-text messages can
      // carry other accounts' ARNs.
      evidence: {
        events: failures.slice(0, 20).map(f => ({
          eventTime: f.eventTime,
          eventName: f.eventName,
          eventSource: f.eventSource,
          errorCode: safeCode(f.errorCode) ?? null,
        })),
      },
      remediation:
        'Open the events in CloudTrail; AccessDenied on a data call means the permissions policy lacks that action or resource',
    };
  },
};
