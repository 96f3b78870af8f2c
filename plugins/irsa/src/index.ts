/**
 * The IAM card for catalog entities: the IRSA role, its policies and
 * allowlist, and the debugging checklist, with Re-verify.
 *
 * @packageDocumentation
 */
export { irsaPlugin, EntityIrsaCard } from './plugin';
export { IrsaClient, irsaApiRef, IrsaCooldownError, type IrsaApi } from './api';
export { isIrsaAvailable } from '@backstage-irsa/plugin-irsa-common';
