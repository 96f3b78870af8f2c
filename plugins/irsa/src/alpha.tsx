import {
  ApiBlueprint,
  createFrontendPlugin,
  discoveryApiRef,
  fetchApiRef,
} from '@backstage/frontend-plugin-api';
import { EntityCardBlueprint } from '@backstage/plugin-catalog-react/alpha';
import { FormFieldBlueprint } from '@backstage/plugin-scaffolder-react/alpha';
import { isIrsaAvailable } from '@backstage-irsa/plugin-irsa-common';
import { IrsaClient, irsaApiRef } from './api';

const irsaApi = ApiBlueprint.make({
  params: defineParams =>
    defineParams({
      api: irsaApiRef,
      deps: { discoveryApi: discoveryApiRef, fetchApi: fetchApiRef },
      factory: ({ discoveryApi, fetchApi }) =>
        new IrsaClient({ discoveryApi, fetchApi }),
    }),
});

/** The IAM card, on entities with the irsa.dev/service-account annotation. */
const irsaEntityCard = EntityCardBlueprint.make({
  name: 'iam',
  params: {
    filter: isIrsaAvailable,
    loader: () =>
      import('./components/EntityIrsaCard').then(m => <m.EntityIrsaCard />),
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

/** The IRSA frontend plugin (new frontend system). @alpha */
export default createFrontendPlugin({
  pluginId: 'irsa',
  extensions: [irsaApi, irsaEntityCard, policyDocumentField],
});
