import type { CloudTrailEventInfo } from '../gateways/types';
import { GatewayError } from '../gateways/errors';
import { CloudTrailWindows } from './CloudTrailWindows';

const T0 = Date.parse('2025-06-01T12:00:00.000Z');
const MIN = 60_000;
const target = { accountId: '111122223333', region: 'us-east-1' };
const ROLE = 'arn:aws:iam::111122223333:role/shop-cart';

function event(
  id: string,
  at: number,
  resources: string[],
): CloudTrailEventInfo {
  return {
    eventId: id,
    eventName: 'AssumeRoleWithWebIdentity',
    eventSource: 'sts.amazonaws.com',
    eventTime: new Date(at).toISOString(),
    resources,
  };
}

function windows(now: { value: number }, maxEventsPerRead = 100) {
  const lookupEvents = jest.fn();
  const trail = new CloudTrailWindows({
    cloudTrail: { lookupEvents },
    lookbackMinutes: 60,
    overlapMinutes: 5,
    maxEventsPerRead,
    now: () => now.value,
  });
  return { trail, lookupEvents };
}

describe('CloudTrailWindows', () => {
  it('reads the lookback first, then only since the last read (with the overlap), keeping older events newest first', async () => {
    const now = { value: T0 };
    const { trail, lookupEvents } = windows(now);
    const e1 = event('e1', T0 - 50 * MIN, [ROLE]);
    const e2 = event('e2', T0 - 10 * MIN, [ROLE, 'shop-cart']);
    const e3 = event('e3', T0 - 2 * MIN, [ROLE]);
    const noRole = event('x', T0 - 3 * MIN, ['i-0123456789abcdef0']);
    lookupEvents.mockResolvedValueOnce([e3, noRole, e2, e1]);

    await expect(trail.read(target)).resolves.toEqual([e3, e2, e1]);
    expect(lookupEvents).toHaveBeenLastCalledWith(target, {
      startTime: new Date(T0 - 60 * MIN),
      endTime: new Date(T0),
      maxEvents: 101,
    });

    now.value = T0 + 30 * MIN;
    const e4 = event('e4', T0 + 20 * MIN, [ROLE]);
    lookupEvents.mockResolvedValueOnce([e4, e3]);

    // e3 came again (overlap), e2 is kept from before, e1 left the hour.
    await expect(trail.read(target)).resolves.toEqual([e4, e3, e2]);
    expect(lookupEvents).toHaveBeenLastCalledWith(target, {
      startTime: new Date(T0 - 5 * MIN),
      endTime: new Date(T0 + 30 * MIN),
      maxEvents: 101,
    });
  });

  it('keeps the last complete read when a read fails, and continues from it', async () => {
    const now = { value: T0 };
    const { trail, lookupEvents } = windows(now);
    const e1 = event('e1', T0 - 10 * MIN, [ROLE]);
    lookupEvents.mockResolvedValueOnce([e1]);
    await trail.read(target);

    now.value = T0 + 30 * MIN;
    const throttled = new GatewayError({
      kind: 'throttled',
      operation: 'cloudtrail:LookupEvents',
      code: 'ThrottlingException',
      message: 'Rate exceeded',
    });
    lookupEvents.mockRejectedValueOnce(throttled);
    await expect(trail.read(target)).rejects.toBe(throttled);

    now.value = T0 + 45 * MIN;
    const e2 = event('e2', T0 + 40 * MIN, [ROLE]);
    lookupEvents.mockResolvedValueOnce([e2]);
    // e1 is still in the hour, and was not read again.
    await expect(trail.read(target)).resolves.toEqual([e2, e1]);
    expect(lookupEvents).toHaveBeenLastCalledWith(target, {
      startTime: new Date(T0 - 5 * MIN),
      endTime: new Date(T0 + 45 * MIN),
      maxEvents: 101,
    });
  });

  it('refuses a read of more than maxEventsPerRead events and starts the next from the whole lookback', async () => {
    const now = { value: T0 };
    const { trail, lookupEvents } = windows(now, 2);
    lookupEvents.mockResolvedValueOnce([
      event('a', T0 - MIN, [ROLE]),
      event('b', T0 - 2 * MIN, [ROLE]),
      event('c', T0 - 3 * MIN, [ROLE]),
    ]);

    await expect(trail.read(target)).rejects.toThrow(
      'more than 2 CloudTrail events since 2025-06-01T11:00:00.000Z',
    );

    now.value = T0 + 30 * MIN;
    lookupEvents.mockResolvedValueOnce([]);
    await expect(trail.read(target)).resolves.toEqual([]);
    expect(lookupEvents).toHaveBeenLastCalledWith(target, {
      startTime: new Date(T0 - 30 * MIN),
      endTime: new Date(T0 + 30 * MIN),
      maxEvents: 3,
    });
  });

  it('keeps a window per account and region', async () => {
    const now = { value: T0 };
    const { trail, lookupEvents } = windows(now);
    const east = event('east', T0 - MIN, [ROLE]);
    lookupEvents.mockResolvedValueOnce([east]).mockResolvedValueOnce([]);
    await trail.read(target);
    await expect(
      trail.read({ ...target, region: 'eu-west-1' }),
    ).resolves.toEqual([]);
    expect(lookupEvents).toHaveBeenLastCalledWith(
      { ...target, region: 'eu-west-1' },
      {
        startTime: new Date(T0 - 60 * MIN),
        endTime: new Date(T0),
        maxEvents: 101,
      },
    );
  });
});
