/**
 * Keyset paging, the one way the store streams a large read: each page is its own short query
 * `WHERE (key...) > (last key seen) ORDER BY key LIMIT n`, so memory stays bounded and a writer
 * is never blocked by a long-open read.
 */

/** Rows fetched per query unless a caller says otherwise. */
export const DEFAULT_PAGE_SIZE = 500;

/**
 * Yields every row of a keyset-paged query once, in key order. `fetch(after, limit)` returns
 * at most `limit` rows whose key is greater than `after` (`start` before the first page);
 * `keyOf` gives a row's key. A page shorter than `limit` is the last.
 */
export function* keysetPages<K extends readonly number[], R>(
  fetch: (after: K, limit: number) => readonly R[],
  keyOf: (row: R) => K,
  start: K,
  pageSize = DEFAULT_PAGE_SIZE,
): Generator<R> {
  // A page size below 1 would fetch nothing forever.
  if (!Number.isInteger(pageSize) || pageSize < 1) {
    throw new RangeError(`page size must be a positive integer, got ${pageSize}`);
  }
  let after = start;
  for (;;) {
    const rows = fetch(after, pageSize);
    yield* rows;
    if (rows.length < pageSize) return;
    after = keyOf(rows[rows.length - 1]!);
  }
}
