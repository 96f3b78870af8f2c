/*
 * Simulated time for benchmarks: a virtual clock that jumps to the next
 * timer whenever everything else is waiting, and a simulated network that
 * gives every gateway request a latency and waits for the request budget
 * (both in virtual time). The code under test runs unchanged and quickly.
 */
import {
  RequestBudget,
  type AwsTarget,
} from '@backstage-irsa/plugin-irsa-node';

/** A clock whose time passes only while everything waits on it. */
export class VirtualClock {
  private offset = 0;
  private sequence = 0;
  // Ordered by time, then by when they were set.
  private readonly timers: Array<{
    at: number;
    seq: number;
    wake: () => void;
  }> = [];

  constructor(readonly epoch = Date.now()) {}

  /** Milliseconds since the Unix epoch, in virtual time. */
  now = (): number => this.epoch + this.offset;

  sleep = (ms: number): Promise<void> =>
    new Promise(wake => {
      const timer = {
        at: this.offset + Math.max(0, ms),
        seq: this.sequence++,
        wake,
      };
      let i = this.timers.length;
      while (i > 0 && this.timers[i - 1].at > timer.at) i--;
      this.timers.splice(i, 0, timer);
    });

  /** Moves time on while nothing runs (between benchmark runs). */
  advance(ms: number) {
    this.offset += ms;
  }

  /** Runs `work` to the end, moving time to each next timer when all else waits. */
  async run<T>(work: () => Promise<T>): Promise<T> {
    let settled = false;
    const running = work().finally(() => {
      settled = true;
    });
    running.catch(() => undefined);
    while (!settled) {
      // Every promise chain that can move without a timer moves first.
      await new Promise(resolve => setImmediate(resolve));
      if (settled) break;
      const next = this.timers.shift();
      if (!next) {
        // Real work outstanding (none in the sandbox; kept for safety).
        await new Promise(resolve => setTimeout(resolve, 1));
        continue;
      }
      this.offset = Math.max(this.offset, next.at);
      next.wake();
    }
    return running;
  }
}

/** The services the benchmark reports, as AWS and Kubernetes name them. */
export type WireService =
  'iam' | 'sts' | 'eks' | 'ec2' | 'cloudtrail' | 'kubernetes';

/** How many requests (pages) one gateway call sends, from what it answered. */
export type PageCount = (result: unknown) => number;

/**
 * Gateways on a simulated network: each request (each page of a paginated
 * call) waits for the AWS request budget of its API, account and region,
 * then takes the latency, all in virtual time. Counts the requests.
 */
export class SimulatedNetwork {
  readonly requests = new Map<WireService, number>();
  private readonly budget: RequestBudget;

  constructor(
    private readonly clock: VirtualClock,
    private readonly options: {
      latencyMs: number;
      /** Requests per second per account and region; none for Kubernetes. */
      rates: Partial<Record<WireService, number>>;
    },
  ) {
    this.budget = new RequestBudget({ now: clock.now, sleep: clock.sleep });
  }

  reset() {
    this.requests.clear();
  }

  /** The gateway with every method on the network; `pages` for paginated ones. */
  wrap<T extends object>(
    gateway: T,
    service: WireService,
    pages: Partial<Record<keyof T, PageCount>> = {},
  ): T {
    return new Proxy(gateway, {
      get: (target, property) => {
        const value = Reflect.get(target, property);
        if (typeof value !== 'function') return value;
        const count = pages[property as keyof T];
        return async (...args: unknown[]) => {
          // The in-memory answer first (instant), then its requests' time.
          let result: unknown;
          let failure: unknown;
          try {
            result = await value.apply(target, args);
          } catch (error) {
            failure = error;
          }
          const requests =
            failure === undefined && count ? Math.max(1, count(result)) : 1;
          const rate = this.options.rates[service];
          const where = args[0] as AwsTarget | string;
          const key =
            typeof where === 'string'
              ? `${service}/${where}`
              : `${service}/${where.accountId}/${where.region}`;
          for (let i = 0; i < requests; i++) {
            if (rate) await this.budget.acquire(key, rate);
            await this.clock.sleep(this.options.latencyMs);
          }
          this.requests.set(
            service,
            (this.requests.get(service) ?? 0) + requests,
          );
          if (failure !== undefined) throw failure;
          return result;
        };
      },
    });
  }
}
