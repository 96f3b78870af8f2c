import {
  CHECK_TITLES,
  findAdminEquivalentGrants,
} from '@backstage-irsa/plugin-irsa-common';
import type { IrsaCheck } from '../checkTypes';
import { isAllowlist } from './helpers';

/** `permissions`: a permissions policy is attached; admin-equivalent grants warn. */
export const permissionsCheck: IrsaCheck = {
  id: 'permissions',
  title: CHECK_TITLES.permissions,
  mechanism: 'any',
  dependsOn: ['role'],
  reads: ['policies'],
  run({ evidence: e, read }) {
    const policies = read('policies');
    const granting = policies.filter(
      p =>
        !isAllowlist(p) &&
        p.document?.Statement.some(s => s.Effect === 'Allow'),
    );
    const evidence = { policies: policies.map(p => `${p.kind}: ${p.name}`) };
    if (!granting.length) {
      return {
        status: 'fail',
        message:
          'The role has no permissions policy: every AWS call will be AccessDenied',
        evidence,
        remediation:
          "Attach the service's permissions (re-run aws:irsa:create with policy or managedPolicyArns)",
      };
    }
    const grants = granting.flatMap(p =>
      findAdminEquivalentGrants(p.document!, e.guardrails).map(
        r => `${p.name}: ${r}`,
      ),
    );
    if (grants.length) {
      return {
        status: 'warn',
        message: `Grants the guardrails flag: ${grants.join('; ')}`,
        evidence: { ...evidence, adminEquivalent: grants },
        remediation: 'Scope the actions and resources to what the service uses',
      };
    }
    return {
      status: 'pass',
      message: `${granting.length} permissions ${granting.length === 1 ? 'policy' : 'policies'} attached`,
      evidence,
    };
  },
};
