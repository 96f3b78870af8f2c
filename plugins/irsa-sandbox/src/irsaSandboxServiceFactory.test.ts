import { mockServices } from '@backstage/backend-test-utils';
import { ConfigReader } from '@backstage/config';
import type { JsonValue } from '@backstage/types';
import { createIrsaService, readSandboxSetting } from './irsaServiceRef';

const refusal =
  'irsa.sandbox: the in-memory sandbox refuses to start with NODE_ENV=production; configure irsa.clusters for AWS, or set irsa.sandbox.allowInProduction: true (with irsa.sandbox.enabled: true) to run the demo on purpose';
const read = (sandbox: JsonValue, nodeEnv?: string) =>
  readSandboxSetting(new ConfigReader({ irsa: { sandbox } }), nodeEnv);

describe('readSandboxSetting', () => {
  it('keeps irsa.sandbox: true working outside production', () => {
    expect(read(true, 'development')).toBe(true);
    expect(read(true, 'test')).toBe(true);
    expect(read(true, undefined)).toBe(true);
    expect(read(false, 'production')).toBe(false);
    expect(readSandboxSetting(new ConfigReader({}), 'production')).toBe(false);
  });

  it('refuses the sandbox under NODE_ENV=production, naming the key', () => {
    expect(() => read(true, 'production')).toThrow(refusal);
    expect(() => read({ enabled: true }, 'production')).toThrow(refusal);
    expect(() => read({}, 'production')).toThrow(refusal);
  });

  it('runs it in production only with the explicit opt-in', () => {
    expect(read({ enabled: true, allowInProduction: true }, 'production')).toBe(
      true,
    );
    expect(
      read({ enabled: false, allowInProduction: true }, 'production'),
    ).toBe(false);
  });

  it('refuses a malformed value naming the key', () => {
    expect(() => read({ enabled: 7 }, 'development')).toThrow(
      'irsa.sandbox: must be true, false, or { enabled: boolean, allowInProduction: boolean }',
    );
  });

  it('stops createIrsaService under NODE_ENV=production', async () => {
    const previous = process.env.NODE_ENV;
    process.env.NODE_ENV = 'production';
    try {
      await expect(
        createIrsaService({
          config: new ConfigReader({ irsa: { sandbox: true } }),
          logger: mockServices.logger.mock(),
        }),
      ).rejects.toThrow(refusal);
    } finally {
      process.env.NODE_ENV = previous;
    }
  });
});
