/**
 * An example module of the irsa backend plugin: the `tag-policy` check,
 * added through `irsaChecksExtensionPoint`.
 *
 * @packageDocumentation
 */
export { irsaModuleTagPolicy as default } from './module';
export {
  createTagPolicyCheck,
  readTagPolicy,
  type TagPolicy,
} from './tagPolicyCheck';
