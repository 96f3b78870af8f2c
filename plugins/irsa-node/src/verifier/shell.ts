// Characters a POSIX shell never treats specially inside a word.
const SHELL_SAFE = /^[A-Za-z0-9_@%+=:,./-]+$/;

/**
 * Quotes `value` as one POSIX shell word: plain words stay as they are, any
 * other value is wrapped in single quotes (a `'` inside becomes `'\''`), so
 * `$(...)`, backticks, `;` and spaces in it are inert when a developer pastes
 * a remediation command.
 */
export function shellQuote(value: string): string {
  if (SHELL_SAFE.test(value)) return value;
  return `'${value.replace(/'/g, `'\\''`)}'`;
}
