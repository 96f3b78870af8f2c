import { known } from '../sources';
import {
  describeCheckCases,
  ISSUER,
  unreadable,
} from './__testUtils__/evidence';

describeCheckCases('oidc-provider', [
  [
    'pass',
    'healthy',
    () => {},
    `OIDC provider for ${ISSUER} exists and lists sts.amazonaws.com`,
  ],
  [
    'fail',
    'no provider',
    e => {
      e.provider = known(undefined);
    },
    `No IAM OIDC provider exists for the cluster's issuer ${ISSUER}`,
  ],
  [
    'fail',
    'audience not listed',
    e => {
      e.audience = 'vault';
    },
    'The OIDC provider does not list the audience vault',
  ],
  [
    'unknown',
    'facts unreadable',
    e => {
      e.facts = unreadable('cluster facts');
    },
    'Could not check: cluster facts failed: unavailable (no usable answer)',
  ],
]);
