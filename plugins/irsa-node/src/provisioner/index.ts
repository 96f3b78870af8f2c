export * from './DefaultProvisioner';
export * from './input';
