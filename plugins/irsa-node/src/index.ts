/**
 * Node library of IRSA for Backstage: the gateway contracts that are the only
 * path to AWS and Kubernetes, and the shared service types.
 *
 * @packageDocumentation
 */
export type * from './gateways/types';
export * from './gateways/errors';
export * from './gateways/workloads';
export type * from './service/types';
export * from './service/clusters';
export * from './service/facts';
export * from './service/irsaServiceRef';
export * from './service/authorizeCaller';
export * from './verifier/DefaultVerifier';
export * from './verifier/checkTypes';
export {
  CheckRegistry,
  type IrsaCheckRegistry,
} from './verifier/CheckRegistry';
export * from './verifier/irsaChecksExtensionPoint';
export { builtInChecks } from './verifier/checks';
export type {
  Evidence,
  Source,
  RoleArnSource,
  PodIdentityAgent,
  PodIdentityExchange,
} from './verifier/sources';
export type { BindingResult } from './verifier/binding';
export * from './verifier/irsaVerifierServiceRef';
export * from './verifier/options';
export * from './provisioner';
export * from './gateways/aws';
export * from './gateways/kubernetes';
export * from './provisioner/migration';
export * from './fleet';
