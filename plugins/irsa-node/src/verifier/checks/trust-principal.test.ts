import { known } from '../sources';
import { describeCheckCases, role } from './__testUtils__/evidence';

describeCheckCases('trust-principal', [
  [
    'pass',
    'healthy',
    () => {},
    "The trust policy trusts the cluster's OIDC provider",
  ],
  [
    'fail',
    'other provider',
    e => {
      role(e).trustPolicy.Statement[0].Principal = {
        Federated: 'arn:aws:iam::111122223333:oidc-provider/other',
      };
    },
    "The trust policy trusts arn:aws:iam::111122223333:oidc-provider/other, not this cluster's OIDC provider",
  ],
  [
    'skipped',
    'role deleted',
    e => {
      e.role = known(undefined);
    },
    'Skipped: IAM role did not pass',
  ],
]);
