import { CHECK_TITLES } from '@backstage-irsa/plugin-irsa-common';
import type { IrsaCheck } from '../checkTypes';
import { list, trustedStatements, webIdentityStatements } from './helpers';

/** `trust-principal`: the trust policy's federated principal is the cluster's provider. */
export const trustPrincipalCheck: IrsaCheck = {
  id: 'trust-principal',
  title: CHECK_TITLES['trust-principal'],
  mechanism: 'irsa',
  dependsOn: ['role'],
  reads: ['facts', 'role'],
  run({ read }) {
    const facts = read('facts');
    // `role` passed, so the role exists.
    const role = read('role')!;
    const principals = webIdentityStatements(role).flatMap(s =>
      s.Principal && s.Principal !== '*' ? list(s.Principal.Federated) : ['*'],
    );
    const evidence = { expected: facts.oidcProviderArn, found: principals };
    if (trustedStatements(role, facts).length) {
      return {
        status: 'pass',
        message: "The trust policy trusts the cluster's OIDC provider",
        evidence,
      };
    }
    return {
      status: 'fail',
      message: principals.length
        ? `The trust policy trusts ${principals.join(', ')}, not this cluster's OIDC provider`
        : 'The trust policy has no Allow for sts:AssumeRoleWithWebIdentity',
      evidence,
      remediation: `Set the trust statement's Principal to {"Federated": "${facts.oidcProviderArn}"} with Action sts:AssumeRoleWithWebIdentity`,
    };
  },
};
