import type { ChangeEvent } from 'react';
import TextField from '@material-ui/core/TextField';
import {
  findAdminEquivalentGrants,
  parsePolicyDocument,
} from '@backstage-irsa/plugin-irsa-common';
import type {
  CustomFieldValidator,
  FieldExtensionComponentProps,
} from '@backstage/plugin-scaffolder-react';

/**
 * The problem with a policy JSON as the template would see it, or undefined.
 * The same rules the provisioner applies, so a bad policy is caught before
 * submit instead of failing the task.
 */
export function describePolicyProblem(
  text: string | undefined,
): string | undefined {
  if (!text?.trim()) return undefined;
  try {
    const grants = findAdminEquivalentGrants(
      parsePolicyDocument(text, 'customPolicy'),
    );
    return grants.length
      ? `Admin-equivalent grants are refused: ${grants.join('; ')}`
      : undefined;
  } catch (error) {
    return (error as Error).message;
  }
}

/** A monospace JSON editor that shows the policy's problem while typing. */
export const PolicyDocumentField = ({
  formData,
  onChange,
  schema,
  uiSchema,
  required,
  rawErrors,
  idSchema,
}: FieldExtensionComponentProps<string, { rows?: number }>) => {
  const problem = describePolicyProblem(formData);
  return (
    <TextField
      id={idSchema?.$id}
      label={schema.title ?? 'IAM policy JSON'}
      placeholder='{"Version":"2012-10-17","Statement":[…]}'
      helperText={problem ?? schema.description}
      required={required}
      error={Boolean(problem) || Boolean(rawErrors?.length)}
      value={formData ?? ''}
      onChange={(event: ChangeEvent<HTMLInputElement>) =>
        onChange(event.target.value)
      }
      multiline
      minRows={uiSchema?.['ui:options']?.rows ?? 10}
      fullWidth
      margin="normal"
      variant="outlined"
      inputProps={{ style: { fontFamily: 'monospace' }, spellCheck: false }}
    />
  );
};

/** Blocks submit when the policy is not valid or grants admin-equivalent access. */
export const validatePolicyDocument: CustomFieldValidator<string> = (
  value,
  validation,
) => {
  const problem = describePolicyProblem(value);
  if (problem) validation.addError(problem);
};
