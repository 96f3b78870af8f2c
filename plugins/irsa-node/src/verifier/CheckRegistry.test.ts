import { CheckRegistry, needsBinding } from './CheckRegistry';
import type { IrsaCheck } from './checkTypes';
import { builtInChecks } from './checks';

const check = (id: string, extra: Partial<IrsaCheck> = {}): IrsaCheck => ({
  id,
  title: `Title of ${id}`,
  mechanism: 'irsa',
  reads: ['role'],
  run: () => ({ status: 'pass', message: 'ok' }),
  ...extra,
});
const ids = (checks: readonly IrsaCheck[]) => checks.map(c => c.id);

describe('CheckRegistry', () => {
  it('puts a check after its dependencies and after binding, else in registration order', () => {
    const registry = new CheckRegistry([
      check('later', { dependsOn: ['first'] }),
      check('first', { reads: ['facts'] }),
      check('binding', { reads: ['binding'] }),
      check('cluster-only', { reads: ['facts', 'provider'] }),
    ]);
    expect(ids(registry.list())).toEqual([
      'first',
      'binding',
      'later',
      'cluster-only',
    ]);
  });

  it('adds a custom check after the built-ins, and one depending on a built-in after it', () => {
    const registry = new CheckRegistry(builtInChecks);
    registry.add([
      check('tag-policy', { dependsOn: ['role'] }),
      check('acme.egress', { dependsOn: ['allowlist'], mechanism: 'any' }),
    ]);
    expect(ids(registry.checksFor('irsa')).slice(-3)).toEqual([
      'cloudtrail',
      'tag-policy',
      'acme.egress',
    ]);
  });

  it('runs a mechanism its own checks and the `any` ones', () => {
    const registry = new CheckRegistry([
      check('irsa-only'),
      check('pod-identity-only', { mechanism: 'pod-identity' }),
      check('both', { mechanism: 'any' }),
    ]);
    expect(ids(registry.checksFor('irsa'))).toEqual(['irsa-only', 'both']);
    expect(ids(registry.checksFor('pod-identity'))).toEqual([
      'pod-identity-only',
      'both',
    ]);
    expect(ids(registry.checksFor('irsa', 'pod-identity'))).toEqual([
      'irsa-only',
      'pod-identity-only',
      'both',
    ]);
  });

  it.each<[string, IrsaCheck[], string]>([
    [
      'an id with capitals',
      [check('TagPolicy')],
      "irsa check 'TagPolicy': id: must be at most 64 lower-case letters and digits, words joined by - or .",
    ],
    [
      'an id that is not a string',
      [check(7 as unknown as string)],
      'irsa check: id: must be at most 64 lower-case letters and digits, words joined by - or .',
    ],
    [
      'a blank title',
      [check('a', { title: '  ' })],
      "irsa check 'a': title: must be 1 to 80 characters",
    ],
    [
      'an unknown mechanism',
      [check('a', { mechanism: 'kiam' as IrsaCheck['mechanism'] })],
      "irsa check 'a': mechanism: must be one of irsa, pod-identity, any",
    ],
    [
      'an unknown source',
      [check('a', { reads: ['secrets' as 'role'] })],
      "irsa check 'a': reads: 'secrets' is not one of binding, facts, provider, role, serviceAccount, associations, agent, pods, policies, exchange, podIdentityExchange, cloudTrail",
    ],
    [
      'no run function',
      [check('a', { run: undefined as unknown as IrsaCheck['run'] })],
      "irsa check 'a': run: must be a function",
    ],
    [
      'a duplicate id',
      [check('a'), check('a')],
      "irsa check 'a': id: is already registered",
    ],
    [
      'a dependency on itself',
      [check('a', { dependsOn: ['a'] })],
      "irsa check 'a': dependsOn: a check cannot depend on itself",
    ],
    [
      'an unknown dependency',
      [check('a', { dependsOn: ['nope', 'role'] })],
      "irsa check 'a': dependsOn: no check is registered as 'nope', 'role'",
    ],
    [
      'a cycle',
      [
        check('a', { dependsOn: ['b'] }),
        check('b', { dependsOn: ['a'] }),
        check('c'),
      ],
      "irsa checks: dependsOn forms a cycle among 'a', 'b'",
    ],
  ])('refuses %s and adds nothing', (_case, checks, message) => {
    const registry = new CheckRegistry([check('existing')]);
    expect(() => registry.add(checks)).toThrow(new Error(message));
    expect(ids(registry.list())).toEqual(['existing']);
  });
});

describe('needsBinding', () => {
  it('is false for binding itself and for checks reading only cluster sources', () => {
    expect(needsBinding(check('binding', { reads: ['binding'] }))).toBe(false);
    expect(needsBinding(check('x', { reads: ['facts', 'provider'] }))).toBe(
      false,
    );
    expect(needsBinding(check('x', { reads: ['facts', 'agent'] }))).toBe(false);
  });

  it('is true for a check reading the role, or declaring no reads at all', () => {
    expect(needsBinding(check('x', { reads: ['facts', 'role'] }))).toBe(true);
    expect(needsBinding(check('x', { reads: ['associations'] }))).toBe(true);
    expect(needsBinding(check('x', { reads: [] }))).toBe(true);
    expect(needsBinding(check('x', { reads: undefined }))).toBe(true);
  });
});
