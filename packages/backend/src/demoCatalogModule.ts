import fs from 'node:fs/promises';
import path from 'node:path';
import {
  coreServices,
  createBackendModule,
} from '@backstage/backend-plugin-api';
import { parseEntityRef, stringifyEntityRef } from '@backstage/catalog-model';
import { ConflictError, InputError } from '@backstage/errors';
import {
  catalogLocationsExtensionPoint,
  catalogServiceRef,
} from '@backstage/plugin-catalog-node';
import {
  createTemplateAction,
  scaffolderActionsExtensionPoint,
} from '@backstage/plugin-scaffolder-node';
import { parse as parseYaml } from 'yaml';

const NAME_PATTERN = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;

// In-process the catalog throws ConflictError; over HTTP the client wraps it
// in a ResponseError whose cause carries the name.
function isConflict(error: unknown): boolean {
  const e = error as { name?: string; cause?: { name?: string } };
  return (
    e?.name === ConflictError.name || e?.cause?.name === ConflictError.name
  );
}

/**
 * Demo only: "publishes" the workspace to a local folder and registers its
 * catalog-info.yaml as a `file` location, so a component created from the
 * template appears in the demo catalog without a git host. Real setups use
 * `publish:github` (or another `publish:*`) followed by `catalog:register`.
 */
export function createLocalPublishAction(options: {
  catalog: typeof catalogServiceRef.T;
  directory: string;
}) {
  return createTemplateAction({
    id: 'demo:publish:local',
    description:
      'Demo portal only: copies the workspace to a local folder and registers its catalog-info.yaml with the catalog.',
    schema: {
      input: {
        name: z =>
          z
            .string()
            .regex(NAME_PATTERN)
            .describe('Folder name for the published workspace (DNS label)'),
      },
      output: {
        entityRef: z => z.string().describe('The registered entity'),
        path: z => z.string().describe('Where the workspace was copied'),
      },
    },
    async handler(ctx) {
      if (!NAME_PATTERN.test(ctx.input.name)) {
        throw new InputError('name must be a DNS label (a-z, 0-9, -)');
      }
      const source = path.join(ctx.workspacePath, 'catalog-info.yaml');
      const entity = parseYaml(await fs.readFile(source, 'utf8'));
      const entityRef = stringifyEntityRef(
        parseEntityRef({
          kind: entity?.kind,
          namespace: entity?.metadata?.namespace,
          name: entity?.metadata?.name,
        }),
      );
      const target = path.join(options.directory, ctx.input.name);
      ctx.logger.info(`Copying the workspace to ${target}`);
      await fs.mkdir(options.directory, { recursive: true });
      await fs.cp(ctx.workspacePath, target, { recursive: true, force: true });

      const credentials = await ctx.getInitiatorCredentials();
      const catalogInfo = path.join(target, 'catalog-info.yaml');
      try {
        await options.catalog.addLocation(
          { type: 'file', target: catalogInfo },
          { credentials },
        );
        ctx.logger.info(`Registered ${catalogInfo} as a catalog location`);
      } catch (error) {
        // A re-run of the same template: the location exists, refresh it.
        if (!isConflict(error)) throw error;
        await options.catalog.refreshEntity(entityRef, { credentials });
        ctx.logger.info(`Location already registered; refreshed ${entityRef}`);
      }
      ctx.output('entityRef', entityRef);
      ctx.output('path', target);
    },
  });
}

export const demoPublishModule = createBackendModule({
  pluginId: 'scaffolder',
  moduleId: 'demo-publish-local',
  register(reg) {
    reg.registerInit({
      deps: {
        actions: scaffolderActionsExtensionPoint,
        catalog: catalogServiceRef,
        config: coreServices.rootConfig,
      },
      async init({ actions, catalog, config }) {
        const directory = path.resolve(
          config.getOptionalString('demo.publishDirectory') ??
            '../../.demo-catalog',
        );
        actions.addActions(createLocalPublishAction({ catalog, directory }));
      },
    });
  },
});

/**
 * Demo only: lets the catalog accept `file` locations registered through its
 * API (the default allows only `url`), which demo:publish:local relies on.
 */
export const demoFileLocationsModule = createBackendModule({
  pluginId: 'catalog',
  moduleId: 'demo-file-locations',
  register(reg) {
    reg.registerInit({
      deps: { locations: catalogLocationsExtensionPoint },
      async init({ locations }) {
        locations.setAllowedLocationTypes(['url', 'file']);
      },
    });
  },
});
