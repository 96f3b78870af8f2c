import type { IrsaCheck } from '../checkTypes';
import { allowlistCheck } from './allowlist';
import { bindingCheck } from './binding';
import { cloudTrailCheck } from './cloudtrail';
import { credentialExchangeCheck } from './credential-exchange';
import { oidcProviderCheck } from './oidc-provider';
import { permissionsCheck } from './permissions';
import { podInjectionCheck } from './pod-injection';
import { roleCheck } from './role';
import { serviceAccountCheck } from './service-account';
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
  permissionsCheck,
  allowlistCheck,
  credentialExchangeCheck,
  cloudTrailCheck,
];
