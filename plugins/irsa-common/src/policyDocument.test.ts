import { InputError } from '@backstage/errors';
import { parsePolicyDocument } from './policyDocument';

const s3Read = {
  Version: '2012-10-17',
  Statement: {
    Effect: 'Allow',
    Action: 's3:GetObject',
    Resource: 'arn:aws:s3:::b/*',
  },
};

describe('parsePolicyDocument', () => {
  it('accepts JSON text or an object and normalises Statement to a list', () => {
    const expected = {
      Version: '2012-10-17',
      Statement: [
        {
          Effect: 'Allow',
          Action: ['s3:GetObject'],
          Resource: ['arn:aws:s3:::b/*'],
        },
      ],
    };
    expect(parsePolicyDocument(s3Read, 'policy')).toEqual(expected);
    expect(parsePolicyDocument(JSON.stringify(s3Read), 'policy')).toEqual(
      expected,
    );
  });

  it('keeps conditions, Sids and NotResource', () => {
    const doc = parsePolicyDocument(
      {
        Version: '2012-10-17',
        Statement: [
          {
            Sid: 'Read1',
            Effect: 'Deny',
            Action: ['s3:*'],
            NotResource: 'arn:aws:s3:::b/*',
            Condition: { Bool: { 'aws:SecureTransport': false } },
          },
        ],
      },
      'policy',
    );
    expect(doc.Statement[0]).toEqual({
      Sid: 'Read1',
      Effect: 'Deny',
      Action: ['s3:*'],
      NotResource: ['arn:aws:s3:::b/*'],
      Condition: { Bool: { 'aws:SecureTransport': false } },
    });
  });

  it.each([
    ['{not json', /^policy: is not valid JSON/],
    [[], /^policy: must be a JSON object with Version and Statement$/],
    [
      { Version: '2008-10-17', Statement: s3Read.Statement },
      /^policy.Version: must be "2012-10-17"/,
    ],
    [
      { Version: '2012-10-17' },
      /^policy.Statement: must hold at least one statement$/,
    ],
    [
      { Version: '2012-10-17', Statement: [] },
      /^policy.Statement: must hold at least one statement$/,
    ],
    [
      {
        Version: '2012-10-17',
        Statement: [s3Read.Statement, { ...s3Read.Statement, Effect: 'allow' }],
      },
      /^policy.Statement\[1\].Effect: must be "Allow" or "Deny"$/,
    ],
    [
      {
        Version: '2012-10-17',
        Statement: [{ Effect: 'Allow', Resource: '*' }],
      },
      /^policy.Statement\[0\]: needs exactly one of Action or NotAction$/,
    ],
    [
      {
        Version: '2012-10-17',
        Statement: [{ Effect: 'Allow', Action: 's3:Get*' }],
      },
      /^policy.Statement\[0\]: needs exactly one of Resource or NotResource$/,
    ],
    [
      {
        Version: '2012-10-17',
        Statement: [{ ...s3Read.Statement, Action: 'GetObject' }],
      },
      /^policy.Statement\[0\].Action: "GetObject" is not of the form service:Action/,
    ],
    [
      {
        Version: '2012-10-17',
        Statement: [{ ...s3Read.Statement, Action: ['s3:Get', 7] }],
      },
      /^policy.Statement\[0\].Action\[1\]: must be a non-empty string$/,
    ],
    [
      {
        Version: '2012-10-17',
        Statement: [{ ...s3Read.Statement, Principal: '*' }],
      },
      /^policy.Statement\[0\].Principal: is not allowed in an identity-based/,
    ],
    [
      {
        Version: '2012-10-17',
        Statement: [{ ...s3Read.Statement, Effects: 'Allow' }],
      },
      /^policy.Statement\[0\].Effects: is not a policy statement element$/,
    ],
    [
      {
        Version: '2012-10-17',
        Statement: [{ ...s3Read.Statement, Condition: { StringEquals: 'x' } }],
      },
      /^policy.Statement\[0\].Condition.StringEquals: must be an object of condition keys$/,
    ],
    [
      {
        Version: '2012-10-17',
        Statement: [{ ...s3Read.Statement, Sid: 'has space' }],
      },
      /^policy.Statement\[0\].Sid: must contain only letters and digits$/,
    ],
    [
      { Version: '2012-10-17', Statement: s3Read.Statement, Extra: 1 },
      /^policy.Extra: is not a policy document element/,
    ],
  ])('rejects %j naming the path and the rule', (input, message) => {
    expect(() => parsePolicyDocument(input, 'policy')).toThrow(InputError);
    expect(() => parsePolicyDocument(input, 'policy')).toThrow(message);
  });

  it('throws only InputError for thousands of generated malformed documents', () => {
    // A deterministic generator (LCG) so a failure is reproducible.
    let seed = 42;
    const random = () =>
      (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    const pick = <T>(xs: T[]): T => xs[Math.floor(random() * xs.length)];
    const junk = [
      null,
      0,
      -1,
      '',
      ' ',
      '*',
      'x:y',
      [],
      {},
      [[]],
      true,
      { a: 1 },
      'arn:aws:s3:::b',
      ['s3:Get'],
      'é',
      '{"',
    ];
    const keys = [
      'Version',
      'Statement',
      'Effect',
      'Action',
      'NotAction',
      'Resource',
      'NotResource',
      'Condition',
      'Sid',
      'Principal',
      'Id',
      'Bogus',
    ];
    const mutate = (value: any, depth: number): any => {
      if (depth > 3 || random() < 0.3) return pick(junk);
      if (Array.isArray(value)) return value.map(v => mutate(v, depth + 1));
      if (value && typeof value === 'object') {
        const out: any = { ...value };
        const key = pick(keys);
        out[key] = random() < 0.5 ? pick(junk) : mutate(out[key], depth + 1);
        if (random() < 0.2) delete out[pick(Object.keys(out))];
        return out;
      }
      return pick(junk);
    };
    const outcomes = Array.from({ length: 5000 }, () => {
      const input = mutate(
        { Version: '2012-10-17', Statement: [{ ...s3Read.Statement }] },
        0,
      );
      try {
        parsePolicyDocument(
          random() < 0.5 ? input : JSON.stringify(input),
          'policy',
        );
        return 'accepted';
      } catch (error) {
        const named = /^policy(\.|\[|:)/.test((error as Error).message);
        return error instanceof InputError && named
          ? 'input-error'
          : `unexpected: ${error}`;
      }
    });
    expect(outcomes.filter(o => o.startsWith('unexpected'))).toEqual([]);
    expect(outcomes.filter(o => o === 'input-error').length).toBeGreaterThan(
      3000,
    );
  });
});
