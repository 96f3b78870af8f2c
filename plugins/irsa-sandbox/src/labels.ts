// The API server's label syntax: an optional DNS-subdomain prefix, a name of
// at most 63 characters, and values of at most 63 characters.
const LABEL_NAME = /^([A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?)$/;
const LABEL_PREFIX =
  /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;

/** The first invalid label as the API server's 422 message names it. */
export function invalidLabel(labels: Record<string, string | null>) {
  for (const [key, value] of Object.entries(labels)) {
    const slash = key.lastIndexOf('/');
    const prefix = slash >= 0 ? key.slice(0, slash) : undefined;
    const name = slash >= 0 ? key.slice(slash + 1) : key;
    const keyValid =
      name.length <= 63 &&
      LABEL_NAME.test(name) &&
      (prefix === undefined ||
        (prefix.length <= 253 && LABEL_PREFIX.test(prefix)));
    if (!keyValid)
      return `metadata.labels: Invalid value: "${key}": name part must consist of alphanumeric characters, '-', '_' or '.'`;
    if (value !== null && (value.length > 63 || !LABEL_VALUE.test(value)))
      return `metadata.labels: Invalid value: "${value}": a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character`;
  }
  return undefined;
}
