/** IAM role names: at most 64 characters of `[A-Za-z0-9+=,.@_-]`. */
export const MAX_ROLE_NAME_LENGTH = 64;

// FNV-1a (32 bit): isomorphic, no crypto module needed; only used to keep
// truncated names unique, not for security.
function fnv1a(text: string): string {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash.toString(16).padStart(8, '0');
}

/**
 * The deterministic role name for a ServiceAccount: `irsa-CLUSTER-NS-SA`.
 * Longer names are cut and suffixed with a hash of the full name, so two
 * ServiceAccounts never share a role. Characters IAM rejects become `-`.
 */
export function defaultRoleName(
  cluster: string,
  namespace: string,
  serviceAccount: string,
): string {
  const full = `irsa-${cluster}-${namespace}-${serviceAccount}`.replace(
    /[^A-Za-z0-9+=,.@_-]/g,
    '-',
  );
  if (full.length <= MAX_ROLE_NAME_LENGTH) return full;
  const suffix = `-${fnv1a(`${cluster}/${namespace}/${serviceAccount}`)}`;
  return full.slice(0, MAX_ROLE_NAME_LENGTH - suffix.length) + suffix;
}
