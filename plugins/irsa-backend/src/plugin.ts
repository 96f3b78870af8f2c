import {
  coreServices,
  createBackendPlugin,
  readSchedulerServiceTaskScheduleDefinitionFromConfig,
  type SchedulerServiceTaskScheduleDefinition,
} from '@backstage/backend-plugin-api';
import { catalogServiceRef } from '@backstage/plugin-catalog-node';
import { durationToMilliseconds, type HumanDuration } from '@backstage/types';
import { eventsServiceRef } from '@backstage/plugin-events-node';
import {
  IRSA_REPORT_TOPIC,
  irsaPermissions,
} from '@backstage-irsa/plugin-irsa-common';
import {
  DefaultVerifier,
  irsaServiceRef,
} from '@backstage-irsa/plugin-irsa-node';
import { FleetVerification } from './service/FleetVerification';
import { DatabaseReportStore } from './service/ReportStore';
import { createRouter } from './service/router';
import {
  recordPublishedReport,
  VerificationService,
} from './service/VerificationService';

const DEFAULT_SCHEDULE: SchedulerServiceTaskScheduleDefinition = {
  frequency: { minutes: 30 },
  timeout: { minutes: 10 },
  initialDelay: { seconds: 15 },
};

// How old a report may get before the card calls it stale: one schedule interval.
function intervalMs(
  frequency: SchedulerServiceTaskScheduleDefinition['frequency'],
): number {
  const isHumanDuration =
    typeof frequency === 'object' &&
    !('cron' in frequency) &&
    !('trigger' in frequency);
  return isHumanDuration
    ? durationToMilliseconds(frequency as HumanDuration)
    : 30 * 60_000;
}

/** Backend plugin `irsa`: the IAM report API, its store and the fleet re-verification. */
export const irsaPlugin = createBackendPlugin({
  pluginId: 'irsa',
  register(env) {
    env.registerInit({
      deps: {
        config: coreServices.rootConfig,
        logger: coreServices.logger,
        database: coreServices.database,
        scheduler: coreServices.scheduler,
        httpRouter: coreServices.httpRouter,
        httpAuth: coreServices.httpAuth,
        auth: coreServices.auth,
        permissions: coreServices.permissions,
        permissionsRegistry: coreServices.permissionsRegistry,
        auditor: coreServices.auditor,
        catalog: catalogServiceRef,
        irsa: irsaServiceRef,
        events: eventsServiceRef,
      },
      async init(deps) {
        const { config, logger, irsa } = deps;
        const key = 'irsa.verification';
        const schedule = config.has(`${key}.schedule`)
          ? readSchedulerServiceTaskScheduleDefinitionFromConfig(
              config.getConfig(`${key}.schedule`),
            )
          : DEFAULT_SCHEDULE;
        const staleAfterMs = intervalMs(schedule.frequency);

        deps.permissionsRegistry.addPermissions(irsaPermissions);
        const store = await DatabaseReportStore.create({
          database: deps.database,
          historyLimit: config.getOptionalNumber(`${key}.historyLimit`) ?? 20,
        });
        const verification = new VerificationService({
          verifier: new DefaultVerifier({
            service: irsa,
            logger,
            checkTimeoutMs:
              config.getOptionalNumber(`${key}.checkTimeoutMs`) ?? 10_000,
            guardrails: {
              allowedActions: config.getOptionalStringArray(
                'irsa.provisioning.guardrails.allowedActions',
              ),
              deniedActions: config.getOptionalStringArray(
                'irsa.provisioning.guardrails.deniedActions',
              ),
            },
          }),
          store,
          clusters: irsa.clusters,
          logger,
          cooldownSeconds:
            config.getOptionalNumber(`${key}.cooldownSeconds`) ?? 30,
        });
        const fleet = new FleetVerification({
          catalog: deps.catalog,
          auth: deps.auth,
          store,
          verification,
          facts: irsa.facts,
          logger,
          concurrency: config.getOptionalNumber(`${key}.concurrency`) ?? 8,
          intervalMs: staleAfterMs,
        });
        await deps.events.subscribe({
          id: 'irsa-report-store',
          topics: [IRSA_REPORT_TOPIC],
          onEvent: async ({ eventPayload }) => {
            await recordPublishedReport(verification, eventPayload, logger);
          },
        });
        await deps.scheduler.scheduleTask({
          id: 'irsa-fleet-verify',
          ...schedule,
          fn: async () => {
            await fleet.run();
          },
        });
        deps.httpRouter.use(
          await createRouter({
            httpAuth: deps.httpAuth,
            permissions: deps.permissions,
            auditor: deps.auditor,
            catalog: deps.catalog,
            store,
            verification,
            logger,
            staleAfterMs,
          }),
        );
      },
    });
  },
});
