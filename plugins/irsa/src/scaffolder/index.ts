import { createFormField } from '@backstage/plugin-scaffolder-react/alpha';
import {
  PolicyDocumentField,
  validatePolicyDocument,
} from './PolicyDocumentField';

/** Template field `ui:field: IrsaPolicyDocument` (new frontend system). */
export const irsaPolicyDocumentFormField = createFormField({
  name: 'IrsaPolicyDocument',
  component: PolicyDocumentField,
  validation: validatePolicyDocument,
});
