import { known } from '../sources';
import {
  describeCheckCases,
  ROLE_ARN,
  unreadable,
  valueOf,
} from './__testUtils__/evidence';

describeCheckCases('pod-injection', [
  [
    'pass',
    'healthy',
    () => {},
    'All 1 pods have AWS_ROLE_ARN and AWS_WEB_IDENTITY_TOKEN_FILE',
  ],
  [
    'fail',
    'started before the annotation',
    e => {
      valueOf(e.pods)[0].containers[0].env = {};
    },
    'Restart needed: payments-api-1 started before the ServiceAccount was annotated and have no (or an old) AWS_ROLE_ARN',
  ],
  [
    'unknown',
    'unreadable',
    e => {
      e.pods = unreadable('pods');
    },
    'Could not check: pods failed: unavailable (no usable answer)',
  ],
  [
    'skipped',
    'ServiceAccount failed',
    e => {
      e.serviceAccount = known(undefined);
    },
    'Skipped: ServiceAccount annotation did not pass',
  ],
]);
