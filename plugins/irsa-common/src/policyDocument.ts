import { InputError } from '@backstage/errors';
import type { PolicyDocument, PolicyStatement } from './report';

const STATEMENT_KEYS = new Set([
  'Sid',
  'Effect',
  'Principal',
  'NotPrincipal',
  'Action',
  'NotAction',
  'Resource',
  'NotResource',
  'Condition',
]);
// service:Action with * and ? wildcards, or a lone *.
const ACTION = /^(\*|[a-zA-Z0-9-]+:[a-zA-Z0-9*?]+)$/;
const SID = /^[A-Za-z0-9]*$/;

function fail(field: string, rule: string): never {
  throw new InputError(`${field}: ${rule}`);
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function stringList(value: unknown, field: string, check?: RegExp): string[] {
  const list = Array.isArray(value) ? value : [value];
  if (list.length === 0) fail(field, 'must not be an empty list');
  list.forEach((item, i) => {
    const at = Array.isArray(value) ? `${field}[${i}]` : field;
    if (typeof item !== 'string' || item.length === 0) {
      fail(at, 'must be a non-empty string');
    }
    if (check && !check.test(item)) {
      fail(
        at,
        `"${item.slice(0, 80)}" is not of the form service:Action (wildcards * and ? allowed)`,
      );
    }
  });
  return list as string[];
}

function parseCondition(
  value: unknown,
  field: string,
): PolicyStatement['Condition'] {
  if (!isPlainObject(value)) fail(field, 'must be an object of operators');
  for (const [operator, keys] of Object.entries(value)) {
    if (!/^[A-Za-z:]+$/.test(operator)) {
      fail(`${field}.${operator}`, 'is not a condition operator');
    }
    if (!isPlainObject(keys)) {
      fail(`${field}.${operator}`, 'must be an object of condition keys');
    }
    for (const [key, v] of Object.entries(keys)) {
      const ok =
        typeof v === 'string' ||
        typeof v === 'boolean' ||
        typeof v === 'number' ||
        (Array.isArray(v) &&
          v.every(x => ['string', 'boolean', 'number'].includes(typeof x)));
      if (!ok)
        fail(
          `${field}.${operator}.${key}`,
          'must be a string, a boolean, a number or a list of them',
        );
    }
  }
  return value as PolicyStatement['Condition'];
}

function parseStatement(value: unknown, field: string): PolicyStatement {
  if (!isPlainObject(value)) fail(field, 'must be an object');
  for (const key of Object.keys(value)) {
    if (!STATEMENT_KEYS.has(key))
      fail(`${field}.${key}`, 'is not a policy statement element');
  }
  if (value.Effect !== 'Allow' && value.Effect !== 'Deny') {
    fail(`${field}.Effect`, 'must be "Allow" or "Deny"');
  }
  if (
    value.Sid !== undefined &&
    (typeof value.Sid !== 'string' || !SID.test(value.Sid))
  ) {
    fail(`${field}.Sid`, 'must contain only letters and digits');
  }
  if ((value.Action === undefined) === (value.NotAction === undefined)) {
    fail(`${field}`, 'needs exactly one of Action or NotAction');
  }
  if ((value.Resource === undefined) === (value.NotResource === undefined)) {
    fail(`${field}`, 'needs exactly one of Resource or NotResource');
  }
  if (value.Principal !== undefined || value.NotPrincipal !== undefined) {
    fail(
      `${field}.Principal`,
      'is not allowed in an identity-based (permissions) policy',
    );
  }
  const statement: PolicyStatement = { Effect: value.Effect };
  if (value.Sid !== undefined) statement.Sid = value.Sid as string;
  if (value.Action !== undefined)
    statement.Action = stringList(
      value.Action,
      `${field}.Action`,
      ACTION,
    ) as string[];
  if (value.NotAction !== undefined)
    statement.NotAction = stringList(
      value.NotAction,
      `${field}.NotAction`,
      ACTION,
    );
  if (value.Resource !== undefined)
    statement.Resource = stringList(value.Resource, `${field}.Resource`);
  if (value.NotResource !== undefined)
    statement.NotResource = stringList(
      value.NotResource,
      `${field}.NotResource`,
    );
  if (value.Condition !== undefined)
    statement.Condition = parseCondition(value.Condition, `${field}.Condition`);
  return statement;
}

/**
 * Parses a permissions policy given as JSON text or as an object: Version
 * `2012-10-17`, Statement normalised to a list, each element checked. Throws
 * InputError naming the exact path (`policy.Statement[1].Effect`) and the rule.
 */
export function parsePolicyDocument(
  input: unknown,
  field: string,
): PolicyDocument {
  let value = input;
  if (typeof input === 'string') {
    try {
      value = JSON.parse(input);
    } catch (error) {
      fail(field, `is not valid JSON (${(error as Error).message})`);
    }
  }
  if (!isPlainObject(value))
    fail(field, 'must be a JSON object with Version and Statement');
  for (const key of Object.keys(value)) {
    if (!['Version', 'Id', 'Statement'].includes(key)) {
      fail(
        `${field}.${key}`,
        'is not a policy document element (expected Version, Id, Statement)',
      );
    }
  }
  if (value.Version !== '2012-10-17') {
    fail(
      `${field}.Version`,
      'must be "2012-10-17" (the only version that supports policy variables)',
    );
  }
  if (value.Id !== undefined && typeof value.Id !== 'string')
    fail(`${field}.Id`, 'must be a string');
  const statements = Array.isArray(value.Statement)
    ? value.Statement
    : [value.Statement];
  if (value.Statement === undefined || statements.length === 0) {
    fail(`${field}.Statement`, 'must hold at least one statement');
  }
  const document: PolicyDocument = {
    Version: '2012-10-17',
    Statement: statements.map((s: unknown, i: number) =>
      parseStatement(
        s,
        Array.isArray(value.Statement)
          ? `${field}.Statement[${i}]`
          : `${field}.Statement`,
      ),
    ),
  };
  if (value.Id !== undefined) document.Id = value.Id as string;
  return document;
}
