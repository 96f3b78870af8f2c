import {
  createApiFactory,
  createComponentExtension,
  createPlugin,
  discoveryApiRef,
  fetchApiRef,
} from '@backstage/core-plugin-api';
import { IrsaClient, irsaApiRef } from './api';

/** The IRSA frontend plugin (legacy frontend system). */
export const irsaPlugin = createPlugin({
  id: 'irsa',
  apis: [
    createApiFactory({
      api: irsaApiRef,
      deps: { discoveryApi: discoveryApiRef, fetchApi: fetchApiRef },
      factory: ({ discoveryApi, fetchApi }) =>
        new IrsaClient({ discoveryApi, fetchApi }),
    }),
  ],
});

/** The IAM card for an entity page; wrap in `<EntitySwitch.Case if={isIrsaAvailable}>`. */
export const EntityIrsaCard = irsaPlugin.provide(
  createComponentExtension({
    name: 'EntityIrsaCard',
    component: {
      lazy: () =>
        import('./components/EntityIrsaCard').then(m => m.EntityIrsaCard),
    },
  }),
);
