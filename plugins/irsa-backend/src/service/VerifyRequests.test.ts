import { mockServices } from '@backstage/backend-test-utils';
import type { Entity } from '@backstage/catalog-model';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import type { VerificationReport } from '@backstage-irsa/plugin-irsa-common';
import {
  TooManyVerificationsError,
  type VerificationService,
} from './VerificationService';
import { VerifyRequests } from './VerifyRequests';

const annotated: Entity = {
  apiVersion: 'backstage.io/v1alpha1',
  kind: 'Component',
  metadata: {
    name: 'payments-api',
    namespace: 'default',
    annotations: { 'irsa.dev/service-account': 'payments/payments-api' },
  },
};
const plain: Entity = {
  apiVersion: 'backstage.io/v1alpha1',
  kind: 'Component',
  metadata: { name: 'plain', namespace: 'default' },
};

function setup(options?: {
  entities?: Entity[];
  verify?: VerificationService['verify'];
}) {
  const catalog = catalogServiceMock.mock({
    getEntityByRef: jest.fn(async (ref: string) =>
      (options?.entities ?? [annotated, plain]).find(
        e => `component:default/${e.metadata.name}` === ref,
      ),
    ),
  });
  const verify = jest.fn(
    options?.verify ?? (async () => ({ status: 'pass' }) as VerificationReport),
  );
  const logger = mockServices.logger.mock();
  const sleep = jest.fn(async () => {});
  const requests = new VerifyRequests({
    catalog,
    auth: mockServices.auth(),
    verification: { verify } as unknown as VerificationService,
    logger,
    sleep,
  });
  return { requests, catalog, verify, logger, sleep };
}

describe('VerifyRequests (events topic irsa.verify-requested)', () => {
  it('verifies the catalog entity the event names, with the backend service credentials, as a provisioning run', async () => {
    const { requests, catalog, verify, logger } = setup();

    expect(
      await requests.handle({ entityRef: 'Component:default/Payments-API' }),
    ).toBe(true);

    expect(catalog.getEntityByRef).toHaveBeenCalledWith(
      'component:default/payments-api',
      {
        credentials: expect.objectContaining({
          principal: { type: 'service', subject: 'plugin:test' },
        }),
      },
    );
    expect(verify).toHaveBeenCalledWith(annotated, 'provision');
    expect(logger.info).toHaveBeenCalledWith(
      'IRSA: verified component:default/payments-api on request: pass',
    );
  });

  it('reads nothing but the entity ref: a status or report in the payload changes nothing', async () => {
    const { requests, verify } = setup();
    await requests.handle({
      entityRef: 'component:default/payments-api',
      status: 'pass',
      verifiedAt: '2099-01-01T00:00:00.000Z',
      report: { status: 'pass', checks: [] },
    });
    expect(verify).toHaveBeenCalledTimes(1);
    expect(verify).toHaveBeenCalledWith(annotated, 'provision');
  });

  it('retries the lookup of an entity the catalog has not ingested yet, then gives up quietly', async () => {
    const { requests, catalog, verify, sleep, logger } = setup({
      entities: [],
    });
    expect(await requests.handle({ entityRef: 'component:default/new' })).toBe(
      false,
    );
    expect(catalog.getEntityByRef).toHaveBeenCalledTimes(3);
    expect(sleep.mock.calls).toEqual([[15_000], [15_000]]);
    expect(verify).not.toHaveBeenCalled();
    expect(logger.info).toHaveBeenCalledWith(
      'IRSA: component:default/new is not in the catalog after 3 lookups; not verified',
    );
    expect(logger.warn).not.toHaveBeenCalled();
  });

  it('verifies an entity that appears on a later lookup', async () => {
    const { requests, catalog, verify } = setup();
    catalog.getEntityByRef.mockResolvedValueOnce(undefined);
    expect(
      await requests.handle({ entityRef: 'component:default/payments-api' }),
    ).toBe(true);
    expect(catalog.getEntityByRef).toHaveBeenCalledTimes(2);
    expect(verify).toHaveBeenCalledTimes(1);
  });

  it('does not verify an entity without the IRSA annotations', async () => {
    const { requests, verify } = setup();
    expect(
      await requests.handle({ entityRef: 'component:default/plain' }),
    ).toBe(false);
    expect(verify).not.toHaveBeenCalled();
  });

  it('respects the cooldown quietly', async () => {
    const { requests, logger } = setup({
      verify: async () => {
        throw new TooManyVerificationsError(
          'This entity was verified moments ago; try again in 12 s',
          12,
        );
      },
    });
    expect(
      await requests.handle({ entityRef: 'component:default/payments-api' }),
    ).toBe(false);
    expect(logger.info).toHaveBeenCalledWith(
      'IRSA: component:default/payments-api not verified on request: This entity was verified moments ago; try again in 12 s',
    );
    expect(logger.warn).not.toHaveBeenCalled();
  });

  it('logs a failed run as a warning and never throws', async () => {
    const { requests, logger } = setup({
      verify: async () => {
        throw new Error('database gone');
      },
    });
    expect(
      await requests.handle({ entityRef: 'component:default/payments-api' }),
    ).toBe(false);
    expect(logger.warn).toHaveBeenCalledWith(
      'IRSA: requested verification of component:default/payments-api failed: database gone',
    );
  });

  it('keeps one pending request per entity', async () => {
    let finish: () => void = () => {};
    const { requests, verify } = setup({
      verify: () =>
        new Promise(resolve => {
          finish = () => resolve({ status: 'pass' } as VerificationReport);
        }),
    });
    const first = requests.handle({
      entityRef: 'component:default/payments-api',
    });
    expect(
      await requests.handle({ entityRef: 'component:default/payments-api' }),
    ).toBe(false);
    await new Promise(resolve => setImmediate(resolve));
    finish();
    expect(await first).toBe(true);
    expect(verify).toHaveBeenCalledTimes(1);
  });

  it.each([
    [undefined],
    [{}],
    [{ entityRef: 7 }],
    [{ entityRef: 'not a ref:/' }],
  ])('ignores a payload without a valid entityRef: %j', async payload => {
    const { requests, catalog, logger } = setup();
    expect(await requests.handle(payload)).toBe(false);
    expect(catalog.getEntityByRef).not.toHaveBeenCalled();
    expect(logger.warn).toHaveBeenCalledWith(
      'IRSA: ignored an irsa.verify-requested event without a valid entityRef',
    );
  });
});
