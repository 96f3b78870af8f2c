import { createApp } from '@backstage/frontend-defaults';
import { createFrontendModule } from '@backstage/frontend-plugin-api';
import { SignInPageBlueprint } from '@backstage/plugin-app-react';
import { SignInPage } from '@backstage/core-components';
import catalogPlugin from '@backstage/plugin-catalog/alpha';
import scaffolderPlugin from '@backstage/plugin-scaffolder/alpha';
import orgPlugin from '@backstage/plugin-org/alpha';
import irsaPlugin from '@backstage-irsa/plugin-irsa/alpha';

// The demo signs everyone in as the guest (auth.providers.guest in app-config).
const guestSignIn = createFrontendModule({
  pluginId: 'app',
  extensions: [
    SignInPageBlueprint.make({
      params: {
        loader: async () => props => <SignInPage {...props} providers={['guest']} />,
      },
    }),
  ],
});

/** The demo portal: catalog, scaffolder, org pages, and the IAM card and tab. */
export default createApp({
  features: [catalogPlugin, scaffolderPlugin, orgPlugin, irsaPlugin, guestSignIn],
});
