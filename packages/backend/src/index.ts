/*
 * The demo portal's backend: catalog, scaffolder, permissions, guest sign-in,
 * and the IRSA plugin with its scaffolder module. On the embedded default
 * (`irsa.sandbox: true`) it adds the in-memory sandbox, so every AWS and
 * Kubernetes call stays in the process and it runs without an AWS account or
 * a cluster. A production backend leaves the sandbox out.
 */
import { createBackend } from '@backstage/backend-defaults';
import { guestSignInLoader } from './guestSignIn';
import { irsaSandboxLoader } from './irsaSandbox';
import { irsaPermissionPolicyModule } from './irsaPermissionPolicy';
import { demoPermissionPolicyModule } from './permissionPolicy';
import {
  demoFileLocationsModule,
  demoPublishModule,
} from './demoCatalogModule';

const backend = createBackend();

backend.add(import('@backstage/plugin-app-backend'));

backend.add(import('@backstage/plugin-auth-backend'));
// Guest sign-in only when demo.guestSignIn is true (off in production).
backend.add(guestSignInLoader);

backend.add(import('@backstage/plugin-catalog-backend'));
backend.add(
  import('@backstage/plugin-catalog-backend-module-scaffolder-entity-model'),
);

backend.add(import('@backstage/plugin-permission-backend'));
// irsa.permissions.policy: platform (the production overlay) selects
// IrsaPermissionPolicy; otherwise the demo policy decides.
backend.add(demoPermissionPolicyModule);
backend.add(irsaPermissionPolicyModule);

backend.add(import('@backstage/plugin-scaffolder-backend'));
backend.add(import('@backstage-irsa/plugin-scaffolder-backend-module-irsa'));
backend.add(demoPublishModule);
backend.add(demoFileLocationsModule);

// Carries aws:irsa:verify's requests (topic irsa.verify-requested) to the
// irsa plugin, also across backend instances.
backend.add(import('@backstage/plugin-events-backend'));
backend.add(import('@backstage-irsa/plugin-irsa-backend'));
// The demo's AWS and EKS: the in-memory sandbox replaces the irsa service's
// gateways when irsa.sandbox is true (app-config.yaml); off in production.
backend.add(irsaSandboxLoader);
// The example check module: irsa.tagPolicy (app-config.yaml) requires cost-center.
backend.add(import('@backstage-irsa/plugin-irsa-backend-module-tag-policy'));

backend.start();
