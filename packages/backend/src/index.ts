/*
 * The demo portal's backend: catalog, scaffolder, permissions, guest sign-in,
 * and the IRSA plugin with its scaffolder module. On the embedded default
 * (`irsa.sandbox: true`) every AWS and Kubernetes call goes to the in-memory
 * sandbox, so it runs without an AWS account or a cluster.
 */
import { createBackend } from '@backstage/backend-defaults';
import { guestSignInLoader } from './guestSignIn';
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
// The example check module: irsa.tagPolicy (app-config.yaml) requires cost-center.
backend.add(import('@backstage-irsa/plugin-irsa-backend-module-tag-policy'));

backend.start();
