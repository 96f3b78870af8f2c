/** What one page of a paginated AWS call holds, as the caller reads it. */
export interface PageContents<T> {
  items: T[];
  /** The token (EC2, CloudTrail, Access Analyzer) or marker (IAM) of the next page. */
  next?: string;
}

/** Limits on how far {@link allPages} reads. */
export interface PageLimits {
  /** Stop once this many items are read. */
  maxItems?: number;
  /** Stop after this many pages, so an endpoint that repeats its token cannot loop forever. */
  maxPages?: number;
}

/**
 * Every item of a paginated call: `fetchPage(token, itemsSoFar)` from the
 * first page (no token) until a page names no next one or a limit is reached.
 */
export async function allPages<Page, T>(
  fetchPage: (token: string | undefined, itemsSoFar: number) => Promise<Page>,
  read: (page: Page) => PageContents<T>,
  limits: PageLimits = {},
): Promise<T[]> {
  const maxItems = limits.maxItems ?? Infinity;
  const maxPages = limits.maxPages ?? Infinity;
  const items: T[] = [];
  let token: string | undefined;
  for (let pages = 0; pages < maxPages; pages++) {
    const { items: found, next } = read(await fetchPage(token, items.length));
    items.push(...found);
    token = next;
    if (!token || items.length >= maxItems) break;
  }
  return items;
}
