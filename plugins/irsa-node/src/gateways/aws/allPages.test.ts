import { allPages } from './allPages';

/** Pages of two items each, named `t1`, `t2`, ... up to `last`; records the calls. */
function pager(last: number) {
  const calls: Array<[string | undefined, number]> = [];
  const fetchPage = async (token: string | undefined, itemsSoFar: number) => {
    calls.push([token, itemsSoFar]);
    const n = token ? Number(token.slice(1)) : 0;
    return {
      items: [2 * n, 2 * n + 1],
      next: n < last ? `t${n + 1}` : undefined,
    };
  };
  return { calls, fetchPage };
}

describe('allPages', () => {
  it('reads from the first page until one names no next page', async () => {
    const { calls, fetchPage } = pager(2);
    await expect(allPages(fetchPage, page => page)).resolves.toEqual([
      0, 1, 2, 3, 4, 5,
    ]);
    expect(calls).toEqual([
      [undefined, 0],
      ['t1', 2],
      ['t2', 4],
    ]);
  });

  it('stops once maxItems are read', async () => {
    const { calls, fetchPage } = pager(10);
    await expect(
      allPages(fetchPage, page => page, { maxItems: 3 }),
    ).resolves.toEqual([0, 1, 2, 3]);
    expect(calls).toHaveLength(2);
  });

  it('stops after maxPages even when the endpoint repeats its token', async () => {
    const calls: Array<string | undefined> = [];
    const items = await allPages(
      async (token: string | undefined) => {
        calls.push(token);
        return { items: ['x'], next: 'same' };
      },
      page => page,
      { maxPages: 3 },
    );
    expect(items).toEqual(['x', 'x', 'x']);
    expect(calls).toEqual([undefined, 'same', 'same']);
  });
});
