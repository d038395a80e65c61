/**
 * What `liqscope sql` runs without --write: one query, nothing else.
 *
 * The read-only transaction alone is not enough (issue 10): a statement may end it (COMMIT, ROLLBACK),
 * and COPY … TO PROGRAM / TO 'file' is allowed in a read-only transaction, so it runs a program or
 * writes a file as the server's OS user. So the statement must also be a query, recognised by its
 * first keyword. Only one statement reaches the server (the caller uses the extended protocol, which
 * refuses a second), so the first keyword is the statement's kind.
 */

/** Statement kinds that only read: SELECT and its relatives, EXPLAIN and SHOW. */
const QUERY_KEYWORDS = new Set(['select', 'with', 'values', 'table', 'explain', 'show']);

/**
 * The first keyword of a statement, lower-cased, after whitespace, comments (`--`, nested `/* *\/`)
 * and opening parentheses; '' when the statement does not start with a keyword.
 *
 * @example leadingKeyword('-- top 10\n(SELECT 1)') // 'select'
 */
export function leadingKeyword(text: string): string {
  let i = 0;
  while (i < text.length) {
    const c = text[i]!;
    if (c === ' ' || c === '\t' || c === '\n' || c === '\r' || c === '\f' || c === '\v' || c === '(') {
      i++;
    } else if (text.startsWith('--', i)) {
      const end = text.indexOf('\n', i);
      i = end < 0 ? text.length : end + 1;
    } else if (text.startsWith('/*', i)) {
      // Postgres block comments nest.
      let depth = 0;
      while (i < text.length) {
        if (text.startsWith('/*', i)) {
          depth++;
          i += 2;
        } else if (text.startsWith('*/', i)) {
          depth--;
          i += 2;
          if (depth === 0) break;
        } else {
          i++;
        }
      }
    } else {
      break;
    }
  }
  return /^[A-Za-z_]+/.exec(text.slice(i))?.[0].toLowerCase() ?? '';
}

/**
 * Why `sql` without --write refuses a statement, or undefined when it is a query.
 *
 * @example readOnlyRefusal('commit; delete from raw_logs') // 'COMMIT is not a query: …'
 */
export function readOnlyRefusal(text: string): string | undefined {
  const keyword = leadingKeyword(text);
  if (QUERY_KEYWORDS.has(keyword)) return undefined;
  if (keyword === '') return 'the statement is empty or does not start with a keyword';
  const what = keyword.toUpperCase();
  if (keyword === 'copy') {
    return 'COPY runs on the server as its operating-system user (TO PROGRAM runs a program, TO a file writes one), even in a read-only transaction; for a file of the rows, use --format csv (or psql\'s \\copy)';
  }
  if (['begin', 'start', 'commit', 'end', 'rollback', 'abort', 'savepoint', 'release', 'prepare', 'set', 'reset'].includes(keyword)) {
    return `${what} would change the read-only transaction or session the statement runs in`;
  }
  return `${what} is not a query`;
}
