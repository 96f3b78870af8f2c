import type { IrsaCheck } from '../checkTypes';
import { allowlistCheck } from './allowlist';
import { bindingCheck } from './binding';
import { cloudTrailCheck } from './cloudtrail';
import { conflictCheck } from './conflict';
import { credentialExchangeCheck } from './credential-exchange';
import { oidcProviderCheck } from './oidc-provider';
import { permissionsCheck } from './permissions';
import { podIdentityAgentCheck } from './pod-identity-agent';
import { podIdentityAssociationCheck } from './pod-identity-association';
import { podIdentityExchangeCheck } from './pod-identity-exchange';
import { podIdentityInjectionCheck } from './pod-identity-injection';
import { podIdentityPlatformCheck } from './pod-identity-platform';
import { podIdentityTrustCheck } from './pod-identity-trust';
import { podInjectionCheck } from './pod-injection';
import { roleCheck } from './role';
import { serviceAccountCheck } from './service-account';
import { shadowingCheck } from './shadowing';
import { trustAudienceCheck } from './trust-audience';
import { trustPrincipalCheck } from './trust-principal';
import { trustSubjectCheck } from './trust-subject';

export { compareAllowlist } from './allowlist';

/**
 * The built-in checks, in CHECK_IDS order; the default registry adds them the
 * way a module adds its own.
 */
export const builtInChecks: readonly IrsaCheck[] = [
  bindingCheck,
  oidcProviderCheck,
  roleCheck,
  trustPrincipalCheck,
  trustSubjectCheck,
  trustAudienceCheck,
  serviceAccountCheck,
  podInjectionCheck,
  podIdentityAgentCheck,
  podIdentityPlatformCheck,
  podIdentityAssociationCheck,
  podIdentityTrustCheck,
  podIdentityInjectionCheck,
  conflictCheck,
  shadowingCheck,
  permissionsCheck,
  allowlistCheck,
  credentialExchangeCheck,
  podIdentityExchangeCheck,
  cloudTrailCheck,
];
