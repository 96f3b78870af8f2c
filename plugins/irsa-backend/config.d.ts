import type { SchedulerServiceTaskScheduleDefinitionConfig } from '@backstage/backend-plugin-api';

export interface Config {
  irsa?: {
    /** How the irsa backend plugin re-verifies and serves reports. */
    verification?: {
      /**
       * When the whole fleet of annotated entities is re-verified. Reports
       * older than the frequency are marked stale on the card.
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
       * Reports kept per entity (the latest plus history). Default 20.
       * @visibility backend
       */
      historyLimit?: number;
      /**
       * Seconds after a verification during which "Re-verify" answers 429
       * with Retry-After. Default 30.
       * @visibility backend
       */
      cooldownSeconds?: number;
    };
  };
}
