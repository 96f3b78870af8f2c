import {
  coreServices,
  createBackendPlugin,
} from '@backstage/backend-plugin-api';
import { catalogServiceRef } from '@backstage/plugin-catalog-node';
import { eventsServiceRef } from '@backstage/plugin-events-node';
import {
  IRSA_VERIFY_REQUESTED_TOPIC,
  irsaPermissions,
} from '@backstage-irsa/plugin-irsa-common';
import {
  FleetVerifier,
  irsaCheckRegistryServiceRef,
  irsaChecksExtensionPoint,
  irsaServiceRef,
  irsaVerifierServiceRef,
  type IrsaCheck,
} from '@backstage-irsa/plugin-irsa-node';
import { readIrsaBackendConfig } from './config';
import { FleetOverview } from './service/FleetOverview';
import { FleetVerification } from './service/FleetVerification';
import { DatabaseReportStore } from './service/ReportStore';
import { createRouter } from './service/router';
import { DatabaseVerificationClaims } from './service/VerificationClaims';
import { VerificationService } from './service/VerificationService';
import { VerifyRequests } from './service/VerifyRequests';
import { WorkloadRestarter } from './service/WorkloadRestarter';

/** How often reports past `irsa.verification.historyMaxAge` are purged. */
const RETENTION_SCHEDULE = {
  frequency: { hours: 1 },
  timeout: { minutes: 5 },
  initialDelay: { minutes: 1 },
};

/**
 * Backend plugin `irsa`: the IAM report API, its store and the fleet
 * re-verification. Its modules add checks through `irsaChecksExtensionPoint`.
 */
export const irsaPlugin = createBackendPlugin({
  pluginId: 'irsa',
  register(env) {
    const addedChecks: IrsaCheck[] = [];
    let started = false;
    env.registerExtensionPoint(irsaChecksExtensionPoint, {
      addCheck(...checks) {
        if (started) {
          throw new Error(
            'irsa checks: addCheck must be called from a module init, before the irsa plugin starts',
          );
        }
        addedChecks.push(...checks);
      },
    });
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
        verifier: irsaVerifierServiceRef,
        checks: irsaCheckRegistryServiceRef,
        events: eventsServiceRef,
      },
      async init(deps) {
        const { logger, irsa } = deps;
        // Into the backend's one registry, which the scaffolder's
        // aws:irsa:verify runs too; a bad check stops the start-up here.
        started = true;
        deps.checks.add(addedChecks);
        const settings = readIrsaBackendConfig(deps.config);

        deps.permissionsRegistry.addPermissions(irsaPermissions);
        const store = await DatabaseReportStore.create({
          database: deps.database,
          historyLimit: settings.historyLimit,
        });
        const claims = new DatabaseVerificationClaims(
          await deps.database.getClient(),
        );
        const verification = new VerificationService({
          verifier: deps.verifier,
          store,
          claims,
          clusters: irsa.clusters,
          logger,
          cooldownSeconds: settings.cooldownSeconds,
        });
        const fleet = new FleetVerification({
          catalog: deps.catalog,
          auth: deps.auth,
          store,
          verification,
          fleet: FleetVerifier.fromConfig({
            service: irsa,
            checks: deps.checks,
            config: deps.config,
            logger,
            concurrency: settings.concurrency,
          }),
          logger,
          concurrency: settings.concurrency,
          intervalMs: settings.staleAfterMs,
          runTimeoutMs: settings.runTimeoutMs,
        });
        const requests = new VerifyRequests({
          catalog: deps.catalog,
          auth: deps.auth,
          verification,
          logger,
        });
        await deps.events.subscribe({
          id: 'irsa-verify-requests',
          topics: [IRSA_VERIFY_REQUESTED_TOPIC],
          onEvent: async ({ eventPayload }) => {
            // Not awaited: the catalog lookup may wait for a fresh entity.
            void requests.handle(eventPayload);
          },
        });
        await deps.scheduler.scheduleTask({
          id: 'irsa-fleet-verify',
          ...settings.schedule,
          fn: async signal => {
            await fleet.run({ signal });
          },
        });
        await deps.scheduler.scheduleTask({
          id: 'irsa-report-retention',
          ...RETENTION_SCHEDULE,
          fn: async () => {
            const cutoff = new Date(Date.now() - settings.historyMaxAgeMs);
            const purged = await store.purgeOlderThan(cutoff);
            await claims.purgeIdleBefore(cutoff);
            if (purged) logger.info(`IRSA: purged ${purged} old reports`);
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
            restarter: new WorkloadRestarter({
              kubernetes: irsa.kubernetes,
              store,
              verification,
              logger,
            }),
            clusters: irsa.clusters,
            kubernetes: irsa.kubernetes,
            logger,
            staleAfterMs: settings.staleAfterMs,
            fleet: new FleetOverview({
              catalog: deps.catalog,
              auth: deps.auth,
              permissions: deps.permissions,
              store,
              clusters: irsa.clusters,
              iam: irsa.iam,
              eks: irsa.eks,
              logger,
              staleAfterMs: settings.staleAfterMs,
              rolePath: settings.rolePath,
            }),
          }),
        );
      },
    });
  },
});
