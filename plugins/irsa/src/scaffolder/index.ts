import { createFormField } from '@backstage/plugin-scaffolder-react/alpha';
import {
  ClusterPickerField,
  validateClusterPicker,
} from './ClusterPickerField';
import { NamespaceField, validateNamespaceField } from './NamespaceField';
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

/** Template field `ui:field: IrsaClusterPicker` (new frontend system). */
export const irsaClusterPickerFormField = createFormField({
  name: 'IrsaClusterPicker',
  component: ClusterPickerField,
  validation: validateClusterPicker,
});

/** Template field `ui:field: IrsaNamespace` (new frontend system). */
export const irsaNamespaceFormField = createFormField({
  name: 'IrsaNamespace',
  component: NamespaceField,
  validation: validateNamespaceField,
});
