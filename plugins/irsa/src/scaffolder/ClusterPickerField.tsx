import { useEffect } from 'react';
import type { ChangeEvent } from 'react';
import MenuItem from '@material-ui/core/MenuItem';
import TextField from '@material-ui/core/TextField';
import { useApi } from '@backstage/core-plugin-api';
import type {
  CustomFieldValidator,
  FieldExtensionComponentProps,
} from '@backstage/plugin-scaffolder-react';
import type { ClusterSummary } from '@backstage-irsa/plugin-irsa-common';
import useAsync from 'react-use/esm/useAsync';
import { irsaApiRef } from '../api';

/** How a cluster reads in the picker: name, AWS account and region, mechanism. */
export function describeCluster(cluster: ClusterSummary): string {
  return `${cluster.name} — account ${cluster.accountId}, ${cluster.region}, ${cluster.defaultMechanism === 'pod-identity' ? 'EKS Pod Identity' : 'IRSA'} by default`;
}

/**
 * The cluster to preselect: the field's current value, else the schema's
 * default when it is configured, else the first configured cluster.
 */
export function preselectedCluster(
  clusters: ClusterSummary[],
  current: string | undefined,
  schemaDefault: unknown,
): string | undefined {
  if (current) return current;
  return (
    clusters.find(c => c.name === schemaDefault)?.name ?? clusters[0]?.name
  );
}

/**
 * Template field `ui:field: IrsaClusterPicker`: the clusters the irsa
 * backend is configured with (`GET /api/irsa/v1/clusters`), so a template
 * fits any installation without editing an enum.
 */
export const ClusterPickerField = ({
  formData,
  onChange,
  schema,
  required,
  rawErrors,
  idSchema,
}: FieldExtensionComponentProps<string>) => {
  const api = useApi(irsaApiRef);
  const { value, loading, error } = useAsync(() => api.listClusters(), [api]);
  const clusters = value?.items ?? [];
  const preselected = preselectedCluster(clusters, formData, schema.default);
  useEffect(() => {
    if (preselected && preselected !== formData) onChange(preselected);
  }, [preselected, formData, onChange]);

  let helperText = schema.description;
  if (loading) helperText = 'Loading the configured clusters…';
  else if (error)
    helperText = `Could not load the configured clusters: ${error.message}`;
  else if (!clusters.length)
    helperText = 'No cluster is configured under irsa.clusters';
  return (
    <TextField
      id={idSchema?.$id}
      label={schema.title ?? 'Cluster'}
      select
      required={required}
      value={clusters.length ? (formData ?? '') : ''}
      onChange={(event: ChangeEvent<HTMLInputElement>) =>
        onChange(event.target.value)
      }
      helperText={helperText}
      error={Boolean(error) || Boolean(rawErrors?.length)}
      fullWidth
      margin="normal"
      variant="outlined"
      inputProps={{ name: 'cluster', 'data-testid': 'irsa-cluster-picker' }}
    >
      {clusters.map(c => (
        <MenuItem key={c.name} value={c.name}>
          {describeCluster(c)}
        </MenuItem>
      ))}
    </TextField>
  );
};

/** Blocks submit on a cluster the backend does not have configured. */
export const validateClusterPicker: CustomFieldValidator<string> = async (
  value,
  validation,
  context,
) => {
  const api = context.apiHolder.get(irsaApiRef);
  if (!value || !api) return;
  const { items } = await api.listClusters();
  if (!items.some(c => c.name === value)) {
    validation.addError(
      `cluster: "${value}" is not configured under irsa.clusters (configured: ${items.map(c => c.name).join(', ') || 'none'})`,
    );
  }
};
