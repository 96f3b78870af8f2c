/**
 * The in-memory AWS and EKS sandbox of IRSA for Backstage: one account, the
 * clusters `sandbox` and `sandbox-legacy`, seeded healthy and broken
 * workloads. The demo backend runs on it (the default export overrides the
 * irsa service), and tests and benchmarks use it as their AWS and Kubernetes
 * double. Never a production path: a production backend does not add this
 * package.
 *
 * @packageDocumentation
 */
export * from './createSandbox';
export * from './fleet';
export {
  createSandboxIrsaServiceFromConfig,
  irsaSandboxServiceFactory,
  irsaSandboxServiceFactory as default,
} from './irsaSandboxServiceFactory';
/**
 * Building blocks, for tests that pair the in-memory Kubernetes API server
 * with another AWS (moto) instead of the sandbox's.
 */
export { SandboxState, type SandboxCluster } from './state';
export { SandboxClusterGateway } from './SandboxClusterGateway';
