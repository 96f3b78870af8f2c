import { useState, type ChangeEvent } from 'react';
import TextField from '@material-ui/core/TextField';
import { useApi } from '@backstage/core-plugin-api';
import { ResponseError } from '@backstage/errors';
import type {
  CustomFieldValidator,
  FieldExtensionComponentProps,
} from '@backstage/plugin-scaffolder-react';
import type { ServiceAccountCheckResponse } from '@backstage-irsa/plugin-irsa-common';
import useAsync from 'react-use/esm/useAsync';
import useDebounce from 'react-use/esm/useDebounce';
import { irsaApiRef } from '../api';

/** The whole form's values, as the scaffolder hands them to fields and validators. */
type FormValues = Record<string, unknown>;

/** `ui:options` of the IrsaNamespace field: where the rest of the form keeps its inputs. */
export interface NamespaceFieldOptions {
  /** The form field holding the cluster (default `cluster`). */
  clusterField?: string;
  /** The form field holding the ServiceAccount name (default `name`). */
  serviceAccountField?: string;
  /**
   * The entity the template registers is this prefix plus the ServiceAccount
   * name (default `component:default/`).
   */
  entityRefPrefix?: string;
}

/** The ServiceAccount the form describes, once cluster, namespace and name are known. */
export function serviceAccountTarget(
  namespace: string | undefined,
  formData: FormValues | undefined,
  options: NamespaceFieldOptions | undefined,
) {
  const cluster = formData?.[options?.clusterField ?? 'cluster'];
  const name = formData?.[options?.serviceAccountField ?? 'name'];
  if (!namespace || typeof cluster !== 'string' || typeof name !== 'string')
    return undefined;
  if (!cluster || !name) return undefined;
  return {
    cluster,
    namespace,
    name,
    entityRef: `${options?.entityRefPrefix ?? 'component:default/'}${name}`,
  };
}

/**
 * Why the template may not provision this ServiceAccount, or undefined: the
 * namespace is refused, or the ServiceAccount belongs to another entity or
 * to nobody this plugin knows (both need irsa.role.adopt, which the
 * template does not offer).
 */
export function describeServiceAccountProblem(
  check: ServiceAccountCheckResponse,
  target: { namespace: string; name: string; entityRef: string },
): string | undefined {
  const sa = `${target.namespace}/${target.name}`;
  if (!check.namespaceAllowed)
    return check.reason ?? `namespace: ${target.namespace} is refused`;
  if (!check.exists) return undefined;
  if (check.ownedBy) {
    return check.ownedBy.toLocaleLowerCase('en-US') ===
      target.entityRef.toLocaleLowerCase('en-US')
      ? undefined
      : `ServiceAccount ${sa} already belongs to ${check.ownedBy}; choose another name or namespace`;
  }
  return check.managedByUs
    ? undefined
    : `ServiceAccount ${sa} already exists and is not managed by IRSA for Backstage; choose another name or namespace`;
}

/** What the field says about a ServiceAccount that may be provisioned. */
export function describeServiceAccount(
  check: ServiceAccountCheckResponse,
  target: { cluster: string; namespace: string; name: string },
): string {
  const sa = `${target.namespace}/${target.name}`;
  return check.exists
    ? `ServiceAccount ${sa} exists on ${target.cluster} and belongs to this component: it will be updated`
    : `ServiceAccount ${sa} will be created on ${target.cluster}`;
}

/** The backend's own message for a refused input (400), else undefined. */
function inputProblem(error: unknown): string | undefined {
  if (
    error instanceof ResponseError &&
    error.statusCode === 400 &&
    error.body.error.name === 'InputError'
  )
    return error.body.error.message;
  return undefined;
}

/**
 * Template field `ui:field: IrsaNamespace`: the namespace, checked live
 * against the platform's namespace rules and the cluster (does the
 * ServiceAccount exist, and whose is it) through
 * `GET /api/irsa/v1/clusters/:cluster/namespaces/:namespace/serviceaccounts/:name`.
 */
export const NamespaceField = ({
  formData,
  onChange,
  schema,
  uiSchema,
  required,
  rawErrors,
  idSchema,
  formContext,
}: FieldExtensionComponentProps<string, NamespaceFieldOptions>) => {
  const api = useApi(irsaApiRef);
  const [settled, setSettled] = useState(formData);
  useDebounce(() => setSettled(formData), 400, [formData]);
  const target = serviceAccountTarget(
    settled,
    (formContext as { formData?: FormValues } | undefined)?.formData,
    uiSchema?.['ui:options'],
  );
  const { value, loading, error } = useAsync(
    async () =>
      target
        ? api.checkServiceAccount(target.cluster, target.namespace, target.name)
        : undefined,
    [api, target?.cluster, target?.namespace, target?.name],
  );
  let helperText = schema.description;
  let problem: string | undefined;
  if (target && loading)
    helperText = `Checking ServiceAccount ${target.namespace}/${target.name} on ${target.cluster}…`;
  else if (target && error) {
    problem = inputProblem(error);
    helperText =
      problem ?? `Could not check the ServiceAccount now (${error.message})`;
  } else if (target && value) {
    problem = describeServiceAccountProblem(value, target);
    helperText = problem ?? describeServiceAccount(value, target);
  }
  return (
    <TextField
      id={idSchema?.$id}
      label={schema.title ?? 'Namespace'}
      required={required}
      value={formData ?? ''}
      onChange={(event: ChangeEvent<HTMLInputElement>) =>
        onChange(event.target.value)
      }
      helperText={helperText}
      error={Boolean(problem) || Boolean(rawErrors?.length)}
      fullWidth
      margin="normal"
      variant="outlined"
      inputProps={{ name: 'namespace', 'data-testid': 'irsa-namespace' }}
    />
  );
};

/**
 * Blocks submit when the namespace is refused or the ServiceAccount is
 * another entity's. A check that cannot run (no permission, cluster down)
 * does not block: aws:irsa:create checks again.
 */
export const validateNamespaceField: CustomFieldValidator<
  string,
  NamespaceFieldOptions
> = async (value, validation, context) => {
  const api = context.apiHolder.get(irsaApiRef);
  const target = serviceAccountTarget(
    value,
    context.formData,
    context.uiSchema?.['ui:options'],
  );
  if (!api || !target) return;
  let problem: string | undefined;
  try {
    problem = describeServiceAccountProblem(
      await api.checkServiceAccount(
        target.cluster,
        target.namespace,
        target.name,
      ),
      target,
    );
  } catch (error) {
    problem = inputProblem(error);
  }
  if (problem) validation.addError(problem);
};
