import {
  coreServices,
  createBackendFeatureLoader,
} from '@backstage/backend-plugin-api';
import guestProvider from '@backstage/plugin-auth-backend-module-guest-provider';

/**
 * Adds the guest sign-in provider only when `demo.guestSignIn` is true
 * (app-config.yaml, the demo). app-config.production.yaml sets it to false,
 * so the production overlay has no guest sign-in even though the demo's
 * `auth.providers.guest` config is still merged in. A production backend
 * should not add this loader at all.
 */
export const guestSignInLoader = createBackendFeatureLoader({
  deps: { config: coreServices.rootConfig },
  *loader({ config }) {
    if (config.getOptionalBoolean('demo.guestSignIn')) {
      yield guestProvider;
    }
  },
});
