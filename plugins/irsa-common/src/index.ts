/**
 * Isomorphic building blocks of IRSA for Backstage: entity annotations,
 * permissions, report types, policy builders, role naming and validation.
 *
 * @packageDocumentation
 */
export * from './annotations';
export * from './permissions';
export * from './report';
export * from './responses';
export * from './events';
export * from './naming';
export * from './trustPolicy';
export * from './allowlistPolicy';
export * from './policySize';
export * from './arn';
export * from './policyDocument';
export * from './guardrails';
export * from './managedPolicyGuardrail';
export * from './wildcard';
export * from './podIdentity';
export * from './restart';
