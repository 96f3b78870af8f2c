import {
  coreServices,
  createBackendFeatureLoader,
  type BackendFeature,
} from '@backstage/backend-plugin-api';
import { readSandboxSetting } from '@backstage-irsa/plugin-irsa-node';

/**
 * A loader that adds the sandbox package when `irsa.sandbox` is on, and
 * otherwise never calls `loadSandbox`. Tests pass the package in directly
 * because Jest cannot run a dynamic import.
 */
export function createIrsaSandboxLoader(
  loadSandbox: () => Promise<{ default: BackendFeature }>,
): BackendFeature {
  return createBackendFeatureLoader({
    deps: { config: coreServices.rootConfig },
    *loader({ config }) {
      if (readSandboxSetting(config).enabled) {
        yield loadSandbox();
      }
    },
  });
}

/**
 * The demo backend adds the in-memory IRSA sandbox
 * (`@backstage-irsa/plugin-irsa-sandbox`, which overrides the irsa service)
 * when `irsa.sandbox` is on, as app-config.yaml has it. The production
 * overlay sets it to false, so this backend then runs on real AWS and does
 * not even load the sandbox code. A production backend should not add this
 * loader or the package at all; there `irsa.sandbox: true` stops start-up.
 */
export const irsaSandboxLoader = createIrsaSandboxLoader(
  () => import('@backstage-irsa/plugin-irsa-sandbox'),
);
