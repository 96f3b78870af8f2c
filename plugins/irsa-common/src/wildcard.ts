/**
 * An IAM wildcard pattern (`*` any run, `?` one character) as a RegExp.
 * Action names compare case-insensitively; condition values (StringLike) do not.
 */
export function iamWildcardToRegExp(
  pattern: string,
  options?: { ignoreCase?: boolean },
): RegExp {
  const body = pattern
    .split('')
    .map(c => {
      if (c === '*') return '.*';
      if (c === '?') return '.';
      return c.replace(/[.+^${}()|[\]\\]/g, '\\$&');
    })
    .join('');
  return new RegExp(`^${body}$`, options?.ignoreCase ? 'i' : '');
}
