/**
 * The IAM card and tab for catalog entities: the IRSA role, its policies and
 * allowlist, the debugging checklist and the report history, with Re-verify
 * and Decommission.
 *
 * @packageDocumentation
 */
export {
  irsaPlugin,
  EntityIrsaCard,
  EntityIrsaContent,
  IrsaFleetPage,
} from './plugin';
export { fleetRouteRef, scaffolderTemplateRouteRef } from './routes';
export {
  IrsaClient,
  irsaApiRef,
  IrsaCooldownError,
  type IrsaApi,
  type FleetListQuery,
} from './api';
export { isIrsaAvailable } from '@backstage-irsa/plugin-irsa-common';
