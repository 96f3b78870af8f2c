/**
 * A request budget shared by every caller in the process: per key (account,
 * region and API family) calls start at most `rps` per second, spaced evenly,
 * so no one-second window ever holds more than `rps` starts.
 */
export class RequestBudget {
  private readonly nextStart = new Map<string, number>();

  constructor(
    private readonly clock: {
      now(): number;
      sleep(ms: number): Promise<void>;
    } = {
      now: Date.now,
      sleep: ms => new Promise(resolve => setTimeout(resolve, ms)),
    },
  ) {}

  /** Resolves when the caller may start its call. */
  async acquire(key: string, rps: number): Promise<void> {
    const now = this.clock.now();
    const slot = Math.max(now, this.nextStart.get(key) ?? now);
    this.nextStart.set(key, slot + 1000 / rps);
    if (slot > now) await this.clock.sleep(slot - now);
  }
}
