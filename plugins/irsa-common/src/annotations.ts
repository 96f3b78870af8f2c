import type { Entity } from '@backstage/catalog-model';
import { InputError } from '@backstage/errors';
import {
  ANNOTATION_IRSA_MECHANISM,
  IDENTITY_MECHANISMS,
  type IdentityMechanism,
} from './podIdentity';

/** Configured cluster name; may be omitted when exactly one cluster is configured. */
export const ANNOTATION_IRSA_CLUSTER = 'irsa.dev/cluster';
/** `namespace/name` of the ServiceAccount. */
export const ANNOTATION_IRSA_SERVICE_ACCOUNT = 'irsa.dev/service-account';
/** The role ARN; when absent it is read from the ServiceAccount. */
export const ANNOTATION_IRSA_ROLE_ARN = 'irsa.dev/role-arn';
/**
 * The role annotation of the Roadie AWS plugin, read as an alias of
 * `irsa.dev/role-arn` (which wins when both are present).
 */
export const ANNOTATION_ROADIE_ROLE_ARN = 'amazon.com/iam-role-arn';

/** ServiceAccount annotation read by the EKS pod identity webhook. */
export const EKS_ROLE_ARN_ANNOTATION = 'eks.amazonaws.com/role-arn';
/** ServiceAccount annotation overriding the token audience. */
export const EKS_AUDIENCE_ANNOTATION = 'eks.amazonaws.com/audience';
/** The audience STS expects by default. */
export const STS_AUDIENCE = 'sts.amazonaws.com';

/** True when the entity carries the IRSA annotations the card needs. */
export function isIrsaAvailable(entity: Entity): boolean {
  return Boolean(
    entity.metadata.annotations?.[ANNOTATION_IRSA_SERVICE_ACCOUNT]?.trim(),
  );
}

/** The IRSA wiring an entity's annotations describe. */
export interface IrsaEntityAnnotations {
  /** Undefined when the annotation is omitted (exactly one cluster configured). */
  cluster?: string;
  namespace: string;
  serviceAccount: string;
  roleArn?: string;
  /** `irsa.dev/mechanism`: what the template chose (absent: not declared). */
  mechanism?: IdentityMechanism;
}

// DNS-1123 label: what Kubernetes requires of namespace names.
const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
// DNS-1123 subdomain: what Kubernetes requires of ServiceAccount names.
const DNS1123_SUBDOMAIN =
  /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

/**
 * Reads the `irsa.dev/*` annotations. Throws InputError naming the annotation
 * and the rule it breaks.
 */
export function readIrsaAnnotations(entity: Entity): IrsaEntityAnnotations {
  const annotations = entity.metadata.annotations ?? {};
  const value = annotations[ANNOTATION_IRSA_SERVICE_ACCOUNT]?.trim();
  if (!value) {
    throw new InputError(`${ANNOTATION_IRSA_SERVICE_ACCOUNT}: is missing`);
  }
  const parts = value.split('/');
  if (parts.length !== 2) {
    throw new InputError(
      `${ANNOTATION_IRSA_SERVICE_ACCOUNT}: must be "namespace/name", got "${value.slice(0, 100)}"`,
    );
  }
  const [namespace, serviceAccount] = parts;
  if (namespace.length > 63 || !DNS1123_LABEL.test(namespace)) {
    throw new InputError(
      `${ANNOTATION_IRSA_SERVICE_ACCOUNT}: namespace must be a DNS-1123 label (lowercase letters, digits and "-", at most 63 characters)`,
    );
  }
  if (serviceAccount.length > 253 || !DNS1123_SUBDOMAIN.test(serviceAccount)) {
    throw new InputError(
      `${ANNOTATION_IRSA_SERVICE_ACCOUNT}: name must be a DNS-1123 subdomain (lowercase letters, digits, "-" and ".", at most 253 characters)`,
    );
  }
  const cluster = annotations[ANNOTATION_IRSA_CLUSTER]?.trim() || undefined;
  const roleArn =
    annotations[ANNOTATION_IRSA_ROLE_ARN]?.trim() ||
    annotations[ANNOTATION_ROADIE_ROLE_ARN]?.trim() ||
    undefined;
  const declared = annotations[ANNOTATION_IRSA_MECHANISM]?.trim() || undefined;
  if (declared && !(IDENTITY_MECHANISMS as string[]).includes(declared)) {
    throw new InputError(
      `${ANNOTATION_IRSA_MECHANISM}: must be one of ${IDENTITY_MECHANISMS.join(', ')}, got "${declared.slice(0, 40)}"`,
    );
  }
  const mechanism = declared as IdentityMechanism | undefined;
  return {
    cluster,
    namespace,
    serviceAccount,
    roleArn,
    ...(mechanism ? { mechanism } : {}),
  };
}
