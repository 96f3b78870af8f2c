import {
  createApiFactory,
  createComponentExtension,
  createPlugin,
  createRoutableExtension,
  discoveryApiRef,
  fetchApiRef,
} from '@backstage/core-plugin-api';
import { IrsaClient, irsaApiRef } from './api';
import { fleetRouteRef, scaffolderTemplateRouteRef } from './routes';

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
  routes: { fleet: fleetRouteRef },
  externalRoutes: { scaffolderTemplate: scaffolderTemplateRouteRef },
});

/**
 * The compact IAM card for an entity's overview; wrap in
 * `<EntitySwitch.Case if={isIrsaAvailable}>`. Its Details link leads to the
 * IAM tab at `<entity page>/irsa`.
 */
export const EntityIrsaCard = irsaPlugin.provide(
  createComponentExtension({
    name: 'EntityIrsaCard',
    component: {
      lazy: () =>
        import('./components/EntityIrsaCard').then(m => m.EntityIrsaCard),
    },
  }),
);

/**
 * The IAM tab: every check with its evidence, the policy documents, the
 * allowlist, the report history and Decommission. Mount it as
 * `<EntityLayout.Route path="/irsa" title="IAM" if={isIrsaAvailable}>`; bind
 * `irsaPlugin.externalRoutes.scaffolderTemplate` to
 * `scaffolderPlugin.routes.selectedTemplate` for the Decommission button.
 */
export const EntityIrsaContent = irsaPlugin.provide(
  createComponentExtension({
    name: 'EntityIrsaContent',
    component: {
      lazy: () =>
        import('./components/EntityIrsaContent').then(m => m.EntityIrsaContent),
    },
  }),
);

/**
 * The fleet page for the platform team: every entity with IRSA, its status,
 * failing checks and owner, filters and counts per status, and the orphans.
 * Mount it as `<Route path="/irsa" element={<IrsaFleetPage />} />`.
 */
export const IrsaFleetPage = irsaPlugin.provide(
  createRoutableExtension({
    name: 'IrsaFleetPage',
    component: () => import('./components/FleetPage').then(m => m.FleetPage),
    mountPoint: fleetRouteRef,
  }),
);
