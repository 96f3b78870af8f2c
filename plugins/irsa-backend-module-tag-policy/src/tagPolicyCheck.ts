import type { Config } from '@backstage/config';
import type { IrsaCheck } from '@backstage-irsa/plugin-irsa-node';

/** What the organisation requires of every IRSA role's tags. */
export interface TagPolicy {
  /** Tag keys the role must carry, each with a non-empty value. */
  requiredTags: string[];
  /** What a missing tag makes the check. */
  severity: 'warn' | 'fail';
}

const KEY = 'irsa.tagPolicy';
const MAX_TAGS = 50;
// IAM's rule for tag keys; keys starting with aws: belong to AWS.
const TAG_KEY = /^[\p{L}\p{Z}\p{N}_.:/=+\-@]{1,128}$/u;
// Anything else in a remediation is single-quoted for the shell.
const SHELL_SAFE = /^[A-Za-z0-9_.:/=+@,-]+$/;

const shellWord = (value: string) =>
  SHELL_SAFE.test(value) ? value : `'${value.replace(/'/g, `'\\''`)}'`;

/**
 * Reads `irsa.tagPolicy`; undefined when it is not configured. A bad value
 * is an error naming the key (the backend does not start).
 */
export function readTagPolicy(config: Config): TagPolicy | undefined {
  const section = config.getOptionalConfig(KEY);
  if (!section) return undefined;
  const fail = (key: string, rule: string): never => {
    throw new Error(`${KEY}.${key}: ${rule}`);
  };
  const raw = section.getOptional('requiredTags');
  if (
    !Array.isArray(raw) ||
    raw.length === 0 ||
    raw.length > MAX_TAGS ||
    raw.some(k => typeof k !== 'string')
  ) {
    fail('requiredTags', `must be a list of 1 to ${MAX_TAGS} tag keys`);
  }
  const requiredTags = raw as string[];
  for (const tag of requiredTags) {
    if (!TAG_KEY.test(tag) || tag.toLowerCase().startsWith('aws:')) {
      fail(
        'requiredTags',
        `"${tag}" is not an IAM tag key (1 to 128 letters, digits, spaces and _.:/=+-@, not starting with aws:)`,
      );
    }
  }
  const severity = section.getOptional('severity') ?? 'warn';
  if (severity !== 'warn' && severity !== 'fail') {
    fail('severity', 'must be warn or fail');
  }
  return {
    requiredTags: [...new Set(requiredTags)],
    severity: severity as TagPolicy['severity'],
  };
}

/**
 * The `tag-policy` check: the role carries every required tag key with a
 * value. It runs after the built-in `role` check passed, and reads only the
 * role (so only once the binding is proven).
 */
export function createTagPolicyCheck(policy: TagPolicy): IrsaCheck {
  return {
    id: 'tag-policy',
    title: 'Tag policy',
    mechanism: 'any',
    dependsOn: ['role'],
    reads: ['role'],
    run({ read }) {
      // The role check passed, so the role exists.
      const role = read('role')!;
      const missing = policy.requiredTags.filter(key => !role.tags[key]);
      const evidence = {
        requiredTags: policy.requiredTags,
        missing,
      };
      if (!missing.length) {
        return {
          status: 'pass',
          message: `The role carries ${policy.requiredTags.join(', ')}`,
          evidence,
        };
      }
      const tags = missing
        .map(key => shellWord(`Key=${key},Value=VALUE`))
        .join(' ');
      return {
        status: policy.severity,
        message: `The role lacks the required tag${missing.length === 1 ? '' : 's'} ${missing.join(', ')}`,
        evidence,
        remediation: `aws iam tag-role --role-name ${shellWord(role.name)} --tags ${tags}   (roles made by aws:irsa:create get platform tags from irsa.provisioning.tags)`,
      };
    },
  };
}
