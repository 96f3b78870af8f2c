import { RequestBudget } from './RequestBudget';

describe('RequestBudget', () => {
  it('lets 1,000 concurrent calls through a 10 rps budget without ever starting more than 10 in a second', async () => {
    // A virtual clock: sleeping advances nothing, it only tells us when the call would start.
    const starts: number[] = [];
    let pendingSleep = 0;
    const budget = new RequestBudget({
      now: () => 0,
      sleep: async ms => {
        pendingSleep = ms;
      },
    });
    await Promise.all(
      Array.from({ length: 1000 }, async () => {
        pendingSleep = 0;
        const acquired = budget.acquire('iam/111122223333/eu-west-1', 10);
        const start = pendingSleep;
        await acquired;
        starts.push(start);
      }),
    );
    starts.sort((a, b) => a - b);
    let worstWindow = 0;
    for (let i = 0, j = 0; i < starts.length; i++) {
      while (starts[i] - starts[j] >= 1000) j++;
      worstWindow = Math.max(worstWindow, i - j + 1);
    }
    expect(starts).toHaveLength(1000);
    expect(worstWindow).toBe(10);
    expect(starts.at(-1)).toBeCloseTo(99_900, 6); // 1,000 calls at 10 rps: the last starts at 99.9 s
  });

  it('keeps separate budgets per account, region and API family', async () => {
    const waits: number[] = [];
    const budget = new RequestBudget({
      now: () => 0,
      sleep: async ms => void waits.push(ms),
    });
    await budget.acquire('iam/a/r', 2);
    await budget.acquire('iam/b/r', 2);
    await budget.acquire('cloudtrail/a/r', 2);
    await budget.acquire('iam/a/r', 2);
    expect(waits).toEqual([500]);
  });
});
