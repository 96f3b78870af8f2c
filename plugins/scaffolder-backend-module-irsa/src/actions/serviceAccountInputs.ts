import type { z } from 'zod/v3';

type InputSchema = (zImpl: typeof z) => z.ZodType;

/** The inputs every aws:irsa:* action takes to name one ServiceAccount of one entity. */
export function serviceAccountInputs(entityRefDescription: string) {
  return {
    cluster: (zImpl =>
      zImpl
        .string()
        .describe(
          'Cluster name as configured under irsa.clusters',
        )) satisfies InputSchema,
    namespace: (zImpl =>
      zImpl
        .string()
        .describe(
          'Kubernetes namespace of the ServiceAccount',
        )) satisfies InputSchema,
    serviceAccount: (zImpl =>
      zImpl.string().describe('ServiceAccount name')) satisfies InputSchema,
    entityRef: (zImpl =>
      zImpl.string().describe(entityRefDescription)) satisfies InputSchema,
  };
}
