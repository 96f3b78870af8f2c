import type { Config } from '@backstage/config';
import { InputError } from '@backstage/errors';
import type { GuardrailOptions } from '@backstage-irsa/plugin-irsa-common';

/** The verifier's settings, read once from config and validated. */
export interface VerifierOptions {
  /** Deadline for each source a check reads, in milliseconds. */
  checkTimeoutMs: number;
  /**
   * Whether an unproven entity ↔ ServiceAccount ↔ role binding fails the
   * report and hides the role's documents (true), or only warns (false).
   */
  requireBinding: boolean;
  cloudTrail: {
    /** How far back the cloudtrail check looks. */
    lookbackMinutes: number;
    /** How long one lookup per role is reused. 0 disables the cache. */
    cacheSeconds: number;
    /** Roles kept in the cache; the least recently used is evicted first. */
    maxEntries: number;
  };
  /** The guardrail settings the provisioner enforces (`irsa.provisioning.guardrails`). */
  guardrails: GuardrailOptions;
  /**
   * Whether the pod-identity-exchange check calls
   * eks-auth:AssumeRoleForPodIdentity with a pod-bound token (AWS reserves
   * that API for the EKS Pod Identity Agent, so it is opt-in).
   */
  podIdentityExchange: boolean;
}

/** Defaults of every verifier setting. */
export const DEFAULT_VERIFIER_OPTIONS: VerifierOptions = {
  checkTimeoutMs: 10_000,
  requireBinding: true,
  cloudTrail: { lookbackMinutes: 60, cacheSeconds: 300, maxEntries: 500 },
  guardrails: {},
  podIdentityExchange: false,
};

// An IAM action pattern: service prefix, colon, action name; * and ? allowed.
const ACTION_PATTERN = /^[a-z0-9*?-]+:[A-Za-z0-9*?]+$/i;

function readInteger(
  config: Config,
  key: string,
  fallback: number,
  min: number,
  max: number,
): number {
  let raw: number | undefined;
  try {
    raw = config.getOptionalNumber(key);
  } catch {
    throw new InputError(`${key}: must be a number`);
  }
  if (raw === undefined) return fallback;
  if (!Number.isInteger(raw) || raw < min || raw > max) {
    throw new InputError(
      `${key}: must be a whole number from ${min} to ${max}`,
    );
  }
  return raw;
}

function readBoolean(config: Config, key: string): boolean | undefined {
  try {
    return config.getOptionalBoolean(key);
  } catch {
    throw new InputError(`${key}: must be true or false`);
  }
}

function readActions(config: Config, key: string): string[] | undefined {
  let raw: string[] | undefined;
  try {
    raw = config.getOptionalStringArray(key);
  } catch {
    throw new InputError(`${key}: must be a list of IAM actions`);
  }
  const bad = raw?.find(action => !ACTION_PATTERN.test(action));
  if (bad !== undefined) {
    throw new InputError(
      `${key}: "${bad}" is not an IAM action (service:Action, wildcards * and ?)`,
    );
  }
  return raw;
}

/**
 * Reads `irsa.verification.*` and `irsa.provisioning.guardrails.*` once.
 * Throws InputError naming the key of the first invalid value.
 */
export function readVerifierOptions(config: Config): VerifierOptions {
  const key = 'irsa.verification';
  const defaults = DEFAULT_VERIFIER_OPTIONS;
  const requireBinding = readBoolean(config, `${key}.requireBinding`);
  const podIdentityExchange = readBoolean(config, `${key}.podIdentityExchange`);
  const allowedActions = readActions(
    config,
    'irsa.provisioning.guardrails.allowedActions',
  );
  const deniedActions = readActions(
    config,
    'irsa.provisioning.guardrails.deniedActions',
  );
  return {
    checkTimeoutMs: readInteger(
      config,
      `${key}.checkTimeoutMs`,
      defaults.checkTimeoutMs,
      100,
      300_000,
    ),
    requireBinding: requireBinding ?? defaults.requireBinding,
    cloudTrail: {
      lookbackMinutes: readInteger(
        config,
        `${key}.cloudTrail.lookbackMinutes`,
        defaults.cloudTrail.lookbackMinutes,
        1,
        10_080,
      ),
      cacheSeconds: readInteger(
        config,
        `${key}.cloudTrail.cacheSeconds`,
        defaults.cloudTrail.cacheSeconds,
        0,
        86_400,
      ),
      maxEntries: readInteger(
        config,
        `${key}.cloudTrail.maxEntries`,
        defaults.cloudTrail.maxEntries,
        1,
        100_000,
      ),
    },
    guardrails: {
      ...(allowedActions ? { allowedActions } : {}),
      ...(deniedActions ? { deniedActions } : {}),
    },
    podIdentityExchange: podIdentityExchange ?? defaults.podIdentityExchange,
  };
}
