import type {
  AwsTarget,
  CloudTrailEventInfo,
  CloudTrailGateway,
} from '../gateways/types';

/** What {@link CloudTrailWindows} reads with, and how far back it keeps events. */
export interface CloudTrailWindowsOptions {
  cloudTrail: CloudTrailGateway;
  /** The verifier's lookback: events older than this are dropped. */
  lookbackMinutes: number;
  /**
   * Each read starts this long before the last one ended, so events
   * CloudTrail delivers late (typically within minutes) are not missed.
   */
  overlapMinutes: number;
  /** Events one read may return; a busier account-region is not windowed. */
  maxEventsPerRead: number;
  now?: () => number;
}

interface Window {
  /** Where the last read ended (ms since the epoch). */
  endedAt: number;
  /** Newest first, as LookupEvents returns them. */
  events: Array<{ at: number; event: CloudTrailEventInfo }>;
}

// A role's targeted lookup (ResourceName = its ARN) only ever matches events
// naming a role ARN, so nothing else is kept.
const ROLE_ARN = /^arn:[a-z-]+:iam::\d{12}:role\//;

/**
 * Every CloudTrail management event of an account and region over the
 * verifier's lookback, read incrementally: each fleet run reads only what
 * happened since the previous run (plus a short overlap for late delivery)
 * with LookupEvents without a lookup attribute, 50 events a page, instead of
 * one lookup per role.
 */
export class CloudTrailWindows {
  private readonly windows = new Map<string, Window>();
  private readonly now: () => number;

  constructor(private readonly options: CloudTrailWindowsOptions) {
    this.now = options.now ?? Date.now;
  }

  /**
   * The account-region's events of the lookback window that name a role,
   * newest first. Throws when they could not all be read (the gateway's
   * error, or more than `maxEventsPerRead`); the next read then starts from
   * the last complete one.
   */
  async read(target: AwsTarget): Promise<CloudTrailEventInfo[]> {
    const { cloudTrail, lookbackMinutes, overlapMinutes, maxEventsPerRead } =
      this.options;
    const key = `${target.accountId}/${target.region}`;
    const now = this.now();
    const oldest = now - lookbackMinutes * 60_000;
    const previous = this.windows.get(key);
    const start = Math.max(
      oldest,
      (previous?.endedAt ?? oldest) - overlapMinutes * 60_000,
    );
    const fresh = await cloudTrail.lookupEvents(target, {
      startTime: new Date(start),
      endTime: new Date(now),
      maxEvents: maxEventsPerRead + 1,
    });
    if (fresh.length > maxEventsPerRead) {
      this.windows.delete(key);
      throw new Error(
        `more than ${maxEventsPerRead} CloudTrail events since ${new Date(start).toISOString()}`,
      );
    }
    // The read covers [start, now] completely, so what was kept from before
    // start follows it in order: newest first without a sort.
    const events = [
      ...fresh
        .filter(event => event.resources?.some(name => ROLE_ARN.test(name)))
        .map(event => ({ at: Date.parse(event.eventTime), event })),
      ...(previous?.events ?? []).filter(e => e.at < start && e.at >= oldest),
    ];
    this.windows.set(key, { endedAt: now, events });
    return events.map(e => e.event);
  }
}
