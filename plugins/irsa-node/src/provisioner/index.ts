export * from './DefaultProvisioner';
export * from './DefaultDecommissioner';
export * from './ApplyRun';
export * from './input';
export * from './ownership';
export * from './ProvisionLock';
export * from './settings';
export * from './podIdentityAssociation';
export * from './targetRole';
export {
  allowlistForChain,
  checkMechanismSwitch,
  withTargetRoleGrant,
} from './planPodIdentity';
export { planOutputs } from './outputs';
