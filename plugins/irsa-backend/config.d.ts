import type { SchedulerServiceTaskScheduleDefinitionConfig } from '@backstage/backend-plugin-api';
import type { HumanDuration } from '@backstage/types';

export interface Config {
  irsa?: {
    /** How the irsa backend plugin re-verifies and serves reports. */
    verification?: {
      /**
       * When the whole fleet of annotated entities is re-verified. Reports
       * older than the frequency are marked stale on the card. A run is
       * cancelled at the timeout, so keep it well below the frequency and
       * above a run's duration: a run leaves the entities verified less than
       * frequency minus timeout ago (by another replica or a user).
       * Default: every 30 minutes, 10 minute timeout, 15 s initial delay.
       * @visibility backend
       */
      schedule?: SchedulerServiceTaskScheduleDefinitionConfig;
      /**
       * Entities verified at the same time during a fleet run. Default 8.
       * @visibility backend
       */
      concurrency?: number;
      /**
       * Reports kept per entity: the latest in full, older ones as summaries
       * (status, counts per status, failing check ids, time, trigger).
       * An integer of at least 1. Default 20.
       * @visibility backend
       */
      historyLimit?: number;
      /**
       * Reports verified longer ago than this are purged (hourly), an
       * entity's latest included. A HumanDuration object, an ISO 8601
       * duration (`P30D`) or a string such as `30d`. Default 30 days.
       * @visibility backend
       */
      historyMaxAge?: HumanDuration | string;
      /**
       * Seconds after a verification during which "Re-verify" (and an
       * irsa.verify-requested event) is refused; the API answers 429 with
       * Retry-After. Decided in the database, so it holds across replicas.
       * Default 30.
       * @visibility backend
       */
      cooldownSeconds?: number;
    };
  };
}
