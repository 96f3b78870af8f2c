import type {
  AwsTarget,
  CloudTrailEventInfo,
  CloudTrailGateway,
} from '../gateways/types';

/** How far back, how long to reuse a lookup, how many roles to keep. */
export interface CloudTrailLookupOptions {
  lookbackMinutes: number;
  /** 0 disables the cache. */
  cacheMs: number;
  maxEntries: number;
}

/**
 * One CloudTrail lookup per role per cache period, shared by every viewer
 * (LookupEvents allows 2 requests per second per account and region). A Map
 * keeps insertion order, so re-inserting on use makes it an LRU.
 */
export class CloudTrailLookups {
  private readonly cache = new Map<
    string,
    { at: number; events: Promise<CloudTrailEventInfo[]> }
  >();

  constructor(
    private readonly cloudTrail: CloudTrailGateway,
    private readonly options: CloudTrailLookupOptions,
  ) {}

  /** The role's management events of the lookback window. */
  lookup(target: AwsTarget, roleArn: string): Promise<CloudTrailEventInfo[]> {
    const { cacheMs, maxEntries, lookbackMinutes } = this.options;
    const key = `${target.accountId}/${target.region}/${roleArn}`;
    const cached = this.cache.get(key);
    if (cached && Date.now() - cached.at < cacheMs) {
      // Most recently used last.
      this.cache.delete(key);
      this.cache.set(key, cached);
      return cached.events;
    }
    const events = this.cloudTrail.lookupEvents(target, {
      attribute: { key: 'ResourceName', value: roleArn },
      startTime: new Date(Date.now() - lookbackMinutes * 60_000),
      maxEvents: 50,
    });
    if (cacheMs > 0) {
      this.cache.delete(key);
      this.cache.set(key, { at: Date.now(), events });
      // Bounded: the least recently used lookups go first.
      for (const oldest of this.cache.keys()) {
        if (this.cache.size <= maxEntries) break;
        this.cache.delete(oldest);
      }
      // Never cache a failure.
      events.catch(() => {
        if (this.cache.get(key)?.events === events) this.cache.delete(key);
      });
    }
    return events;
  }

  /** Roles whose lookup is cached, least recently used first. */
  cachedRoles(): string[] {
    return [...this.cache.keys()];
  }
}
