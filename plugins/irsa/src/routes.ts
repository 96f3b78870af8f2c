import {
  createExternalRouteRef,
  createRouteRef,
} from '@backstage/core-plugin-api';

/**
 * The scaffolder's template page, where the IAM tab's Decommission button
 * leads. The new frontend system binds it to the scaffolder by default; a
 * legacy app binds it to `scaffolderPlugin.routes.selectedTemplate`.
 */
export const scaffolderTemplateRouteRef = createExternalRouteRef({
  id: 'irsa-scaffolder-template',
  params: ['namespace', 'templateName'],
  optional: true,
  defaultTarget: 'scaffolder.selectedTemplate',
});

/** Where the IAM tab is mounted under the entity page, as the card links to it. */
export const IRSA_TAB_PATH = 'irsa';

/** The fleet page (legacy frontend system), mounted at `/irsa`. */
export const fleetRouteRef = createRouteRef({ id: 'irsa-fleet' });
