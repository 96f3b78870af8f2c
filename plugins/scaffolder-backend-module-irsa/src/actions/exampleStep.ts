import { stringify } from 'yaml';

/** One template step as YAML, for an action's documented examples. */
export const exampleStep = (
  step: { id: string; action: string; name: string },
  input: Record<string, unknown>,
) => stringify({ steps: [{ ...step, input }] });
