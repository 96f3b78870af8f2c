import type { BackstageCredentials } from '@backstage/backend-plugin-api';
import { createMockActionContext } from '@backstage/plugin-scaffolder-node-test-utils';

/**
 * A mock action context with a spy on the task log, the dry-run flag, and
 * (when given) the initiator's credentials swapped in: the mock takes only
 * some options.
 */
export function actionContext(
  input: Record<string, unknown>,
  extra: { isDryRun?: boolean; credentials?: BackstageCredentials } = {},
) {
  const ctx = createMockActionContext({ input: input as never });
  const info = jest.spyOn(ctx.logger, 'info');
  return Object.assign(ctx, {
    isDryRun: extra.isDryRun ?? false,
    info,
    ...(extra.credentials
      ? { getInitiatorCredentials: async () => extra.credentials! }
      : {}),
  });
}

/** The step's outputs by name. */
export const actionOutputs = (ctx: {
  output: jest.Mock | ((...args: never[]) => void);
}) => Object.fromEntries((ctx.output as jest.Mock).mock.calls);
