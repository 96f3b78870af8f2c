import { createFormField } from '@backstage/plugin-scaffolder-react/alpha';
import {
  ClusterPickerField,
  validateClusterPicker,
} from './ClusterPickerField';
import {
  MechanismPickerField,
  validateMechanismPicker,
} from './MechanismPickerField';
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

/** Template field `ui:field: IrsaMechanismPicker` (new frontend system). */
export const irsaMechanismPickerFormField = createFormField({
  name: 'IrsaMechanismPicker',
  component: MechanismPickerField,
  validation: validateMechanismPicker,
});
