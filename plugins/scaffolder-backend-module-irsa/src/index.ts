/**
 * Scaffolder actions aws:irsa:create and aws:irsa:verify.
 *
 * @packageDocumentation
 */
export { scaffolderModuleIrsa as default } from './module';
export { createIrsaAction } from './actions/createIrsaAction';
export { createVerifyAction } from './actions/verifyIrsaAction';
export { createMigrateIrsaAction } from './actions/migrateIrsaAction';
