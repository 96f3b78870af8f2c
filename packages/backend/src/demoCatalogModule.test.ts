import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { ConflictError } from '@backstage/errors';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import { createMockActionContext } from '@backstage/plugin-scaffolder-node-test-utils';
import { createLocalPublishAction } from './demoCatalogModule';

describe('demo:publish:local', () => {
  let root: string;
  let workspacePath: string;

  beforeEach(async () => {
    root = await fs.mkdtemp(path.join(os.tmpdir(), 'irsa-demo-publish-'));
    workspacePath = path.join(root, 'workspace');
    await fs.mkdir(workspacePath);
    await fs.writeFile(
      path.join(workspacePath, 'catalog-info.yaml'),
      'apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata:\n  name: hello-api\nspec:\n  type: service\n',
    );
  });

  afterEach(() => fs.rm(root, { recursive: true, force: true }));

  it('copies the workspace and registers its catalog-info.yaml as a file location', async () => {
    const catalog = catalogServiceMock.mock();
    const directory = path.join(root, 'published');
    const action = createLocalPublishAction({ catalog, directory });
    const ctx = createMockActionContext({
      input: { name: 'hello-api' },
      workspacePath,
    });

    await action.handler(ctx);

    const target = path.join(directory, 'hello-api', 'catalog-info.yaml');
    await expect(fs.readFile(target, 'utf8')).resolves.toContain('hello-api');
    expect(catalog.addLocation).toHaveBeenCalledWith(
      { type: 'file', target },
      expect.objectContaining({ credentials: expect.anything() }),
    );
    expect(ctx.output).toHaveBeenCalledWith(
      'entityRef',
      'component:default/hello-api',
    );
  });

  it('refreshes the entity when the location is already registered', async () => {
    const catalog = catalogServiceMock.mock({
      addLocation: jest.fn().mockRejectedValue(new ConflictError('exists')),
    });
    const action = createLocalPublishAction({
      catalog,
      directory: path.join(root, 'published'),
    });

    await action.handler(
      createMockActionContext({ input: { name: 'hello-api' }, workspacePath }),
    );

    expect(catalog.refreshEntity).toHaveBeenCalledWith(
      'component:default/hello-api',
      expect.anything(),
    );
  });

  it('rejects a folder name that could leave the publish directory', async () => {
    const catalog = catalogServiceMock.mock();
    const action = createLocalPublishAction({
      catalog,
      directory: path.join(root, 'published'),
    });
    await expect(
      action.handler(
        createMockActionContext({ input: { name: '../etc' }, workspacePath }),
      ),
    ).rejects.toThrow('name must be a DNS label');
    expect(catalog.addLocation).not.toHaveBeenCalled();
  });
});
