import {
  coreServices,
  createBackendPlugin,
} from '@backstage/backend-plugin-api';
import { mockServices, startTestBackend } from '@backstage/backend-test-utils';
import { ConfigReader } from '@backstage/config';
import irsaSandbox from '@backstage-irsa/plugin-irsa-sandbox';
import type { Verifier } from '../service/types';
import { DefaultVerifier } from './DefaultVerifier';
import { irsaVerifierServiceRef } from './irsaVerifierServiceRef';
import { DEFAULT_VERIFIER_OPTIONS, readVerifierOptions } from './options';

describe('readVerifierOptions', () => {
  const read = (irsa: object) =>
    readVerifierOptions(new ConfigReader({ irsa }));

  it('uses the defaults when nothing is configured', () => {
    expect(read({})).toEqual({
      checkTimeoutMs: 10_000,
      requireBinding: true,
      cloudTrail: { lookbackMinutes: 60, cacheSeconds: 300, maxEntries: 500 },
      guardrails: {},
      podIdentityExchange: false,
    });
    expect(read({})).toEqual(DEFAULT_VERIFIER_OPTIONS);
  });

  it('reads every key', () => {
    expect(
      read({
        verification: {
          checkTimeoutMs: 2500,
          requireBinding: false,
          cloudTrail: { lookbackMinutes: 15, cacheSeconds: 0, maxEntries: 10 },
          podIdentityExchange: true,
        },
        provisioning: {
          guardrails: {
            allowedActions: ['iam:PassRole'],
            deniedActions: ['s3:Delete*'],
          },
        },
      }),
    ).toEqual({
      checkTimeoutMs: 2500,
      requireBinding: false,
      cloudTrail: { lookbackMinutes: 15, cacheSeconds: 0, maxEntries: 10 },
      guardrails: {
        allowedActions: ['iam:PassRole'],
        deniedActions: ['s3:Delete*'],
      },
      podIdentityExchange: true,
    });
  });

  it.each([
    [
      { verification: { checkTimeoutMs: 0 } },
      'irsa.verification.checkTimeoutMs: must be a whole number from 100 to 300000',
    ],
    [
      { verification: { checkTimeoutMs: 'soon' } },
      'irsa.verification.checkTimeoutMs: must be a number',
    ],
    [
      { verification: { requireBinding: 'maybe' } },
      'irsa.verification.requireBinding: must be true or false',
    ],
    [
      { verification: { podIdentityExchange: 'maybe' } },
      'irsa.verification.podIdentityExchange: must be true or false',
    ],
    [
      { verification: { cloudTrail: { lookbackMinutes: 1.5 } } },
      'irsa.verification.cloudTrail.lookbackMinutes: must be a whole number from 1 to 10080',
    ],
    [
      { verification: { cloudTrail: { cacheSeconds: -1 } } },
      'irsa.verification.cloudTrail.cacheSeconds: must be a whole number from 0 to 86400',
    ],
    [
      { verification: { cloudTrail: { maxEntries: 0 } } },
      'irsa.verification.cloudTrail.maxEntries: must be a whole number from 1 to 100000',
    ],
    [
      { provisioning: { guardrails: { deniedActions: ['s3 delete'] } } },
      'irsa.provisioning.guardrails.deniedActions: "s3 delete" is not an IAM action (service:Action, wildcards * and ?)',
    ],
    [
      { provisioning: { guardrails: { allowedActions: 'iam:PassRole' } } },
      'irsa.provisioning.guardrails.allowedActions: must be a list of IAM actions',
    ],
  ])('refuses %j naming the key', (irsa, message) => {
    expect(() => read(irsa)).toThrow(message);
  });
});

describe('irsaVerifierServiceRef', () => {
  // A plugin that only captures what the ref gives it.
  function probe(seen: Verifier[]) {
    return createBackendPlugin({
      pluginId: `probe${seen.length}`,
      register(reg) {
        reg.registerInit({
          deps: { verifier: irsaVerifierServiceRef },
          async init({ verifier }) {
            seen.push(verifier);
          },
        });
      },
    });
  }

  it('gives every plugin the same DefaultVerifier', async () => {
    const seen: Verifier[] = [];
    const first = probe(seen);
    const second = createBackendPlugin({
      pluginId: 'other',
      register(reg) {
        reg.registerInit({
          deps: {
            verifier: irsaVerifierServiceRef,
            logger: coreServices.logger,
          },
          async init({ verifier }) {
            seen.push(verifier);
          },
        });
      },
    });
    const backend = await startTestBackend({
      features: [
        first,
        second,
        irsaSandbox,
        mockServices.rootConfig.factory({ data: { irsa: { sandbox: true } } }),
      ],
    });
    expect(seen).toHaveLength(2);
    expect(seen[0]).toBeInstanceOf(DefaultVerifier);
    expect(seen[1]).toBe(seen[0]);
    await backend.stop();
  });

  it('stops the start-up on an invalid setting, naming the key', async () => {
    await expect(
      startTestBackend({
        features: [
          probe([]),
          irsaSandbox,
          mockServices.rootConfig.factory({
            data: {
              irsa: { sandbox: true, verification: { checkTimeoutMs: -5 } },
            },
          }),
        ],
      }),
    ).rejects.toThrow(
      'irsa.verification.checkTimeoutMs: must be a whole number from 100 to 300000',
    );
  });
});
