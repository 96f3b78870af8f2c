import { EKS_ROLE_ARN_ANNOTATION } from '@backstage-irsa/plugin-irsa-common';
import { known } from '../sources';
import {
  describeCheckCases,
  rebind,
  ROLE,
  ROLE_ARN,
  unreadable,
} from './__testUtils__/evidence';

describeCheckCases('role', [
  ['pass', 'healthy', () => {}, `Role ${ROLE} exists`],
  [
    'fail',
    'deleted',
    e => {
      e.role = known(undefined);
    },
    `The role ${ROLE} does not exist in account 111122223333`,
  ],
  [
    'fail',
    'unknown role',
    e => {
      e.roleArn = undefined;
      e.roleArnSource = 'none';
      e.requireBinding = false;
      rebind(e, {});
    },
    `Role unknown: the entity has no irsa.dev/role-arn, the ServiceAccount no ${EKS_ROLE_ARN_ANNOTATION}, and no role named ${ROLE} exists`,
  ],
  [
    'unknown',
    'role unreadable',
    e => {
      e.role = unreadable('iam:GetRole');
    },
    'Could not check: iam:GetRole failed: unavailable (no usable answer)',
  ],
  [
    'skipped',
    'not bound',
    e => rebind(e, {}),
    'Not shown: role not bound to this entity',
  ],
]);
