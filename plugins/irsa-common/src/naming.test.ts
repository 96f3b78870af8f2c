import { defaultRoleName, MAX_ROLE_NAME_LENGTH } from './naming';

describe('defaultRoleName', () => {
  it('joins cluster, namespace and ServiceAccount when short enough', () => {
    expect(defaultRoleName('prod', 'payments', 'api')).toBe(
      'irsa-prod-payments-api',
    );
  });

  it('keeps exactly 64 characters untouched', () => {
    const sa = 'a'.repeat(MAX_ROLE_NAME_LENGTH - 'irsa-c-n-'.length);
    const name = defaultRoleName('c', 'n', sa);
    expect(name).toHaveLength(64);
    expect(name).toBe(`irsa-c-n-${sa}`);
  });

  it('truncates longer names to 64 with a hash that keeps them unique', () => {
    const a = defaultRoleName('c', 'n', `${'a'.repeat(70)}-one`);
    const b = defaultRoleName('c', 'n', `${'a'.repeat(70)}-two`);
    expect(a).toHaveLength(64);
    expect(b).toHaveLength(64);
    expect(a).not.toBe(b);
    expect(a).toMatch(/-[0-9a-f]{8}$/);
  });

  it('is deterministic', () => {
    const long = 'x'.repeat(100);
    expect(defaultRoleName('c', 'n', long)).toBe(
      defaultRoleName('c', 'n', long),
    );
  });

  it('only ever emits characters IAM accepts', () => {
    expect(defaultRoleName('c/1', 'n s', 'é')).toBe('irsa-c-1-n-s--');
    expect(defaultRoleName('c/1', 'n s', 'é')).toMatch(/^[A-Za-z0-9+=,.@_-]+$/);
  });
});
