import {
  ApiBlueprint,
  PageBlueprint,
  createFrontendPlugin,
  createRouteRef,
  discoveryApiRef,
  fetchApiRef,
} from '@backstage/frontend-plugin-api';
import {
  EntityCardBlueprint,
  EntityContentBlueprint,
} from '@backstage/plugin-catalog-react/alpha';
import { FormFieldBlueprint } from '@backstage/plugin-scaffolder-react/alpha';
import { isIrsaAvailable } from '@backstage-irsa/plugin-irsa-common';
import CloudQueueIcon from '@material-ui/icons/CloudQueue';
import { IrsaClient, irsaApiRef } from './api';
import { IRSA_TAB_PATH, scaffolderTemplateRouteRef } from './routes';

const irsaApi = ApiBlueprint.make({
  params: defineParams =>
    defineParams({
      api: irsaApiRef,
      deps: { discoveryApi: discoveryApiRef, fetchApi: fetchApiRef },
      factory: ({ discoveryApi, fetchApi }) =>
        new IrsaClient({ discoveryApi, fetchApi }),
    }),
});

/**
 * The compact IAM card, on entities with the irsa.dev/service-account
 * annotation. A content card: the demo app lists it first on the overview.
 */
const irsaEntityCard = EntityCardBlueprint.make({
  name: 'iam',
  params: {
    type: 'content',
    filter: isIrsaAvailable,
    loader: () =>
      import('./components/EntityIrsaCard').then(m => <m.EntityIrsaCard />),
  },
});

/** The IAM tab (`<entity page>/irsa`): the whole report and its history. */
const irsaEntityContent = EntityContentBlueprint.make({
  name: 'iam',
  params: {
    path: IRSA_TAB_PATH,
    title: 'IAM',
    filter: isIrsaAvailable,
    loader: () =>
      import('./components/EntityIrsaContent').then(m => (
        <m.EntityIrsaContent />
      )),
  },
});

/** The fleet page's route (new frontend system). @alpha */
export const fleetPageRouteRef = createRouteRef();

/**
 * The fleet page at /irsa: every entity with IRSA, filters, counts per
 * status and the orphans. Its title and icon give it a nav item.
 */
const fleetPage = PageBlueprint.make({
  name: 'fleet',
  params: {
    path: '/irsa',
    routeRef: fleetPageRouteRef,
    title: 'IAM fleet',
    icon: <CloudQueueIcon />,
    noHeader: true,
    loader: () => import('./components/FleetPage').then(m => <m.FleetPage />),
  },
});

/** Template field `ui:field: IrsaPolicyDocument`: validates the policy before submit. */
const policyDocumentField = FormFieldBlueprint.make({
  name: 'irsa-policy-document',
  params: {
    field: () =>
      import('./scaffolder').then(m => m.irsaPolicyDocumentFormField),
  },
});

/** Template field `ui:field: IrsaClusterPicker`: the backend's configured clusters. */
const clusterPickerField = FormFieldBlueprint.make({
  name: 'irsa-cluster-picker',
  params: {
    field: () => import('./scaffolder').then(m => m.irsaClusterPickerFormField),
  },
});

/** Template field `ui:field: IrsaNamespace`: checks namespace and ServiceAccount live. */
const namespaceField = FormFieldBlueprint.make({
  name: 'irsa-namespace',
  params: {
    field: () => import('./scaffolder').then(m => m.irsaNamespaceFormField),
  },
});

/** Template field `ui:field: IrsaMechanismPicker`: IRSA or Pod Identity, the cluster's default first. */
const mechanismPickerField = FormFieldBlueprint.make({
  name: 'irsa-mechanism-picker',
  params: {
    field: () =>
      import('./scaffolder').then(m => m.irsaMechanismPickerFormField),
  },
});

/** The IRSA frontend plugin (new frontend system). @alpha */
export default createFrontendPlugin({
  pluginId: 'irsa',
  extensions: [
    irsaApi,
    fleetPage,
    irsaEntityCard,
    irsaEntityContent,
    policyDocumentField,
    clusterPickerField,
    namespaceField,
    mechanismPickerField,
  ],
  routes: { fleet: fleetPageRouteRef },
  externalRoutes: { scaffolderTemplate: scaffolderTemplateRouteRef },
});
