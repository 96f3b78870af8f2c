import { mockServices } from '@backstage/backend-test-utils';
import {
  recordPublishedReport,
  type VerificationService,
} from './VerificationService';

describe('recordPublishedReport (events topic irsa.report)', () => {
  const report = {
    checks: [],
    status: 'pass',
    verifiedAt: '2026-11-24T00:00:00.000Z',
    trigger: 'manual',
  };

  it('stores a well-formed report under the normalised entity ref, as a provisioning report', async () => {
    const verification = {
      record: jest.fn(),
    } as unknown as VerificationService;
    await recordPublishedReport(
      verification,
      { entityRef: 'Component:default/Hello', report },
      mockServices.logger.mock(),
    );
    expect(verification.record).toHaveBeenCalledWith(
      'component:default/hello',
      {
        ...report,
        entityRef: 'component:default/hello',
        trigger: 'provision',
      },
    );
  });

  it.each([
    [undefined],
    [{ entityRef: 'not a ref:/', report }],
    [{ entityRef: 'component:default/x', report: { status: 'pass' } }],
    [{ entityRef: 7, report }],
  ])('drops and logs a malformed payload %j', async payload => {
    const verification = {
      record: jest.fn(),
    } as unknown as VerificationService;
    const logger = mockServices.logger.mock();
    await recordPublishedReport(verification, payload, logger);
    expect(verification.record).not.toHaveBeenCalled();
    expect(logger.warn).toHaveBeenCalledWith(
      'Dropped a malformed IRSA report event (needs entityRef and a report with checks, status, verifiedAt)',
    );
  });
});
