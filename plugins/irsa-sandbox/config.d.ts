export interface Config {
  irsa?: {
    /**
     * Run on the embedded in-memory sandbox (one AWS account, clusters
     * `sandbox` and `sandbox-legacy`, seeded healthy and broken workloads)
     * instead of real AWS and EKS. Needs this package in the backend: a
     * backend without it refuses `irsa.sandbox: true` at start-up, and a
     * backend with it refuses to start unless this is on. Never a production
     * path: with NODE_ENV=production the sandbox refuses to start unless the
     * object form opts in with `allowInProduction: true`. Every report made
     * on it is marked `environment: sandbox`.
     * @visibility backend
     */
    sandbox?:
      | boolean
      | {
          /** Run on the sandbox. Default true when the object is given. */
          enabled?: boolean;
          /** Allow the sandbox under NODE_ENV=production. Default false. */
          allowInProduction?: boolean;
        };
  };
}
