import { ConfigReader } from '@backstage/config';
import { readIrsaBackendConfig } from './config';

const read = (verification: object) =>
  readIrsaBackendConfig(new ConfigReader({ irsa: { verification } }));

describe('readIrsaBackendConfig', () => {
  it('fills every default when irsa.verification is absent', () => {
    expect(readIrsaBackendConfig(new ConfigReader({}))).toEqual({
      schedule: {
        frequency: { minutes: 30 },
        timeout: { minutes: 10 },
        initialDelay: { seconds: 15 },
      },
      staleAfterMs: 30 * 60_000,
      runTimeoutMs: 10 * 60_000,
      concurrency: 8,
      historyLimit: 20,
      historyMaxAgeMs: 30 * 24 * 3600_000,
      cooldownSeconds: 30,
      rolePath: '/',
    });
  });

  it('reads every key; historyMaxAge as an object, an ISO duration or a ms string', () => {
    const settings = read({
      schedule: { frequency: { minutes: 10 }, timeout: { minutes: 2 } },
      concurrency: 2,
      historyLimit: 1,
      historyMaxAge: { days: 7 },
      cooldownSeconds: 0,
    });
    expect(settings).toEqual({
      schedule: {
        frequency: { minutes: 10 },
        timeout: { minutes: 2 },
        initialDelay: undefined,
        scope: undefined,
      },
      staleAfterMs: 10 * 60_000,
      runTimeoutMs: 2 * 60_000,
      concurrency: 2,
      historyLimit: 1,
      historyMaxAgeMs: 7 * 24 * 3600_000,
      cooldownSeconds: 0,
      rolePath: '/',
    });
    expect(read({ historyMaxAge: 'P2D' }).historyMaxAgeMs).toBe(
      2 * 24 * 3600_000,
    );
    expect(read({ historyMaxAge: '12h' }).historyMaxAgeMs).toBe(12 * 3600_000);
  });

  it('takes the role path from irsa.provisioning, validated where the provisioner reads it', () => {
    const withPath = (rolePath: string) =>
      readIrsaBackendConfig(
        new ConfigReader({ irsa: { provisioning: { rolePath } } }),
      );
    expect(withPath('/irsa/').rolePath).toBe('/irsa/');
    expect(() => withPath('irsa')).toThrow(
      'irsa.provisioning.rolePath: must start and end with "/" (for example /irsa/)',
    );
  });

  it('uses the default interval for staleness under a cron schedule', () => {
    expect(
      read({ schedule: { frequency: { cron: '0 * * * *' }, timeout: 'PT5M' } })
        .staleAfterMs,
    ).toBe(30 * 60_000);
  });

  it.each([
    [
      { historyLimit: 0 },
      'irsa.verification.historyLimit: must be an integer of at least 1',
    ],
    [
      { historyLimit: 2.5 },
      'irsa.verification.historyLimit: must be an integer of at least 1',
    ],
    [
      { concurrency: 0 },
      'irsa.verification.concurrency: must be an integer of at least 1',
    ],
    [
      { cooldownSeconds: -1 },
      'irsa.verification.cooldownSeconds: must be an integer of at least 0',
    ],
    [
      { historyMaxAge: 'soon' },
      "Invalid duration 'soon' in config at 'irsa.verification.historyMaxAge'",
    ],
    [
      { historyMaxAge: { seconds: 0 } },
      'irsa.verification.historyMaxAge: must be a positive duration',
    ],
  ])('refuses %j naming the key', (verification, message) => {
    expect(() => read(verification)).toThrow(message);
  });
});
