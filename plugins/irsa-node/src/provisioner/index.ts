export * from './DefaultProvisioner';
export * from './ApplyRun';
export * from './input';
export * from './ownership';
export * from './ProvisionLock';
export * from './settings';
