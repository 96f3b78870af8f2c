import { execFileSync } from 'node:child_process';
import { shellQuote } from './shell';

// What a real shell makes of the quoted word.
const echoed = (word: string) =>
  execFileSync('/bin/sh', ['-c', `printf %s ${word}`], { encoding: 'utf8' });

describe('shellQuote', () => {
  it('leaves plain words (names, ARNs) unquoted', () => {
    expect(
      shellQuote('arn:aws:iam::111122223333:role/team/irsa-x_y.z@1+2=3,4'),
    ).toBe('arn:aws:iam::111122223333:role/team/irsa-x_y.z@1+2=3,4');
  });

  it.each([
    [
      'arn:aws:iam::111122223333:role/$(rm -rf /)',
      `'arn:aws:iam::111122223333:role/$(rm -rf /)'`,
    ],
    ['`id`', "'`id`'"],
    ["it's; echo pwned", `'it'\\''s; echo pwned'`],
    ['', "''"],
    ['a b\nc', "'a b\nc'"],
  ])('quotes %j so the shell reads it back verbatim', (value, quoted) => {
    expect(shellQuote(value)).toBe(quoted);
    expect(echoed(shellQuote(value))).toBe(value);
  });
});
