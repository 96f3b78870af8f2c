import {
  createExtensionPoint,
  createServiceFactory,
  createServiceRef,
} from '@backstage/backend-plugin-api';
import { CheckRegistry, type IrsaCheckRegistry } from './CheckRegistry';
import type { IrsaCheck } from './checkTypes';
import { builtInChecks } from './checks';

/**
 * Where a backend module of the `irsa` plugin adds checks:
 *
 * ```ts
 * createBackendModule({
 *   pluginId: 'irsa',
 *   moduleId: 'my-checks',
 *   register(env) {
 *     env.registerInit({
 *       deps: { checks: irsaChecksExtensionPoint },
 *       async init({ checks }) {
 *         checks.addCheck(myCheck);
 *       },
 *     });
 *   },
 * });
 * ```
 */
export interface IrsaChecksExtensionPoint {
  /** Adds checks; they run in every verification of their mechanism. */
  addCheck(...checks: IrsaCheck[]): void;
}

/**
 * The `irsa` backend plugin's extension point for checks. The plugin hands
 * what modules add to the backend's one check registry
 * (`irsaCheckRegistryServiceRef`) as it starts, so the scaffolder's
 * aws:irsa:verify runs the same checks as the card's verifications.
 */
export const irsaChecksExtensionPoint =
  createExtensionPoint<IrsaChecksExtensionPoint>({ id: 'irsa.checks' });

/**
 * The checks of this backend process, shared by everything that verifies:
 * the built-ins, then what modules added through `irsaChecksExtensionPoint`.
 * The verifier (`irsaVerifierServiceRef`) runs them.
 */
export const irsaCheckRegistryServiceRef = createServiceRef<IrsaCheckRegistry>({
  id: 'irsa.check-registry',
  scope: 'root',
  defaultFactory: async service =>
    createServiceFactory({
      service,
      deps: {},
      factory: () => new CheckRegistry(builtInChecks),
    }),
});
