import {
  readSchedulerServiceTaskScheduleDefinitionFromConfig,
  type SchedulerServiceTaskScheduleDefinition,
} from '@backstage/backend-plugin-api';
import { readDurationFromConfig, type Config } from '@backstage/config';
import { InputError } from '@backstage/errors';
import { durationToMilliseconds, type HumanDuration } from '@backstage/types';
import { readProvisioningSettings } from '@backstage-irsa/plugin-irsa-node';

/** The irsa backend plugin's settings, read and validated once at start-up. */
export interface IrsaBackendConfig {
  /** When the fleet is re-verified. */
  schedule: SchedulerServiceTaskScheduleDefinition;
  /** Reports older than this are marked stale: one schedule interval. */
  staleAfterMs: number;
  /** How long one fleet run may take: the schedule's timeout. */
  runTimeoutMs: number;
  /** Entities verified at the same time during a fleet run. */
  concurrency: number;
  /** Reports kept per entity: the latest (in full) plus summaries. */
  historyLimit: number;
  /** Reports older than this are purged, the latest included. */
  historyMaxAgeMs: number;
  /** Seconds after a verification during which another one is refused. */
  cooldownSeconds: number;
  /** Where this project's roles live (`irsa.provisioning.rolePath`), for the orphans. */
  rolePath: string;
}

const KEY = 'irsa.verification';

/** The coded defaults, in one place. */
export const DEFAULTS = {
  schedule: {
    frequency: { minutes: 30 },
    timeout: { minutes: 10 },
    initialDelay: { seconds: 15 },
  } satisfies SchedulerServiceTaskScheduleDefinition,
  concurrency: 8,
  historyLimit: 20,
  historyMaxAge: { days: 30 } satisfies HumanDuration,
  cooldownSeconds: 30,
};

function integer(
  config: Config,
  name: string,
  fallback: number,
  min: number,
): number {
  const key = `${KEY}.${name}`;
  const value = config.getOptionalNumber(key) ?? fallback;
  if (!Number.isInteger(value) || value < min) {
    throw new InputError(`${key}: must be an integer of at least ${min}`);
  }
  return value;
}

// A cron or manual trigger has no fixed interval; the default one stands in.
function intervalMs(
  frequency: SchedulerServiceTaskScheduleDefinition['frequency'],
): number {
  const isHumanDuration =
    typeof frequency === 'object' &&
    !('cron' in frequency) &&
    !('trigger' in frequency);
  return isHumanDuration
    ? durationToMilliseconds(frequency as HumanDuration)
    : durationToMilliseconds(DEFAULTS.schedule.frequency);
}

/** Reads `irsa.verification`; a bad value throws an InputError naming its key. */
export function readIrsaBackendConfig(config: Config): IrsaBackendConfig {
  const schedule = config.has(`${KEY}.schedule`)
    ? readSchedulerServiceTaskScheduleDefinitionFromConfig(
        config.getConfig(`${KEY}.schedule`),
      )
    : DEFAULTS.schedule;
  const maxAgeKey = `${KEY}.historyMaxAge`;
  const historyMaxAgeMs = durationToMilliseconds(
    config.has(maxAgeKey)
      ? readDurationFromConfig(config, { key: maxAgeKey })
      : DEFAULTS.historyMaxAge,
  );
  if (!(historyMaxAgeMs > 0)) {
    throw new InputError(`${maxAgeKey}: must be a positive duration`);
  }
  return {
    schedule,
    staleAfterMs: intervalMs(schedule.frequency),
    runTimeoutMs:
      'toMillis' in schedule.timeout
        ? schedule.timeout.toMillis()
        : durationToMilliseconds(schedule.timeout),
    concurrency: integer(config, 'concurrency', DEFAULTS.concurrency, 1),
    historyLimit: integer(config, 'historyLimit', DEFAULTS.historyLimit, 1),
    historyMaxAgeMs,
    cooldownSeconds: integer(
      config,
      'cooldownSeconds',
      DEFAULTS.cooldownSeconds,
      0,
    ),
    rolePath: readProvisioningSettings(config).rolePath,
  };
}
