import { useEffect, useRef, type ChangeEvent } from 'react';
import MenuItem from '@material-ui/core/MenuItem';
import TextField from '@material-ui/core/TextField';
import { useApi } from '@backstage/core-plugin-api';
import type {
  CustomFieldValidator,
  FieldExtensionComponentProps,
} from '@backstage/plugin-scaffolder-react';
import {
  IDENTITY_MECHANISMS,
  type ClusterSummary,
  type IdentityMechanism,
} from '@backstage-irsa/plugin-irsa-common';
import useAsync from 'react-use/esm/useAsync';
import { irsaApiRef } from '../api';

/** `ui:options` of the IrsaMechanismPicker field. */
export interface MechanismPickerOptions {
  /** The form field holding the cluster (default `cluster`). */
  clusterField?: string;
}

/** What each mechanism means to someone creating a service. */
export const MECHANISM_DESCRIPTIONS: Record<IdentityMechanism, string> = {
  irsa: 'IRSA — works everywhere, including Fargate and Windows nodes',
  'pod-identity':
    'EKS Pod Identity — needs the eks-pod-identity-agent add-on; not on Fargate or Windows',
};

/**
 * The mechanism to preselect: what someone chose, else the cluster's
 * default (`irsa.clusters[].defaultMechanism`), else IRSA.
 */
export function preselectedMechanism(
  chosen: string | undefined,
  cluster: ClusterSummary | undefined,
): IdentityMechanism {
  if (chosen && (IDENTITY_MECHANISMS as string[]).includes(chosen))
    return chosen as IdentityMechanism;
  return cluster?.defaultMechanism ?? 'irsa';
}

/**
 * Template field `ui:field: IrsaMechanismPicker`: IRSA or EKS Pod Identity,
 * with the chosen cluster's default preselected. Switching the cluster
 * before anyone chose moves the preselection with it.
 */
export const MechanismPickerField = ({
  formData,
  onChange,
  schema,
  uiSchema,
  required,
  rawErrors,
  idSchema,
  formContext,
}: FieldExtensionComponentProps<string, MechanismPickerOptions>) => {
  const api = useApi(irsaApiRef);
  const { value, error } = useAsync(() => api.listClusters(), [api]);
  const clusterField = uiSchema?.['ui:options']?.clusterField ?? 'cluster';
  const form = (formContext as { formData?: Record<string, unknown> })
    ?.formData;
  const clusterName = form?.[clusterField];
  const cluster = value?.items.find(c => c.name === clusterName);
  // Until someone chooses, the preselection follows the cluster; a value
  // present at mount (the form's step revisited) counts as chosen.
  const chosen = useRef<string | undefined>(formData);
  const preselected = value
    ? preselectedMechanism(chosen.current, cluster)
    : undefined;
  useEffect(() => {
    if (preselected && preselected !== formData) onChange(preselected);
  }, [preselected, formData, onChange]);

  let helperText = schema.description;
  if (error)
    helperText = `Could not load the clusters' defaults (${error.message}); IRSA is used unless you choose`;
  else if (cluster)
    helperText = `${cluster.name} defaults to ${MECHANISM_DESCRIPTIONS[cluster.defaultMechanism].split(' — ')[0]}`;
  return (
    <TextField
      id={idSchema?.$id}
      label={schema.title ?? 'How the service gets its AWS credentials'}
      select
      required={required}
      value={formData ?? ''}
      onChange={(event: ChangeEvent<HTMLInputElement>) => {
        chosen.current = event.target.value;
        onChange(event.target.value);
      }}
      helperText={helperText}
      error={Boolean(rawErrors?.length)}
      fullWidth
      margin="normal"
      variant="outlined"
      inputProps={{ name: 'mechanism', 'data-testid': 'irsa-mechanism-picker' }}
    >
      {IDENTITY_MECHANISMS.map(mechanism => (
        <MenuItem key={mechanism} value={mechanism}>
          {MECHANISM_DESCRIPTIONS[mechanism]}
        </MenuItem>
      ))}
    </TextField>
  );
};

/** Blocks submit on anything but a known mechanism. */
export const validateMechanismPicker: CustomFieldValidator<string> = (
  value,
  validation,
) => {
  if (value && !(IDENTITY_MECHANISMS as string[]).includes(value)) {
    validation.addError(
      `mechanism: must be one of ${IDENTITY_MECHANISMS.join(', ')}, got "${value}"`,
    );
  }
};
