import { mockServices } from '@backstage/backend-test-utils';
import type { IrsaCheck, IrsaCheckContext } from './checkTypes';
import { builtInChecks } from './checks';
import { healthy, rebind } from './checks/__testUtils__/evidence';
import { runChecks } from './runChecks';
import { notRead } from './sources';

const custom = (extra: Partial<IrsaCheck>): IrsaCheck => ({
  id: 'tag-policy',
  title: 'Tag policy',
  mechanism: 'irsa',
  dependsOn: ['role'],
  reads: ['role'],
  run: () => ({ status: 'pass', message: 'ok' }),
  ...extra,
});

async function resultOf(check: IrsaCheck, options = {}) {
  const results = await runChecks(
    [...builtInChecks, check],
    healthy(),
    options,
  );
  return results.find(r => r.id === check.id)!;
}

describe('runChecks with a custom check', () => {
  it('gives it the values it reads and its dependencies, and reports its id, title and mechanism', async () => {
    let seen: IrsaCheckContext | undefined;
    const result = await resultOf(
      custom({
        async run(context) {
          seen = context;
          const tags = context.read('role')!.tags;
          return {
            status: 'warn',
            message: `Role tags: ${Object.keys(tags).join(', ')}`,
            evidence: { tags },
          };
        },
        remediation: 'Tag the role',
      }),
    );
    expect(result).toEqual({
      id: 'tag-policy',
      title: 'Tag policy',
      mechanism: 'irsa',
      status: 'warn',
      message:
        'Role tags: irsa.dev/entity-ref, irsa.dev/cluster, irsa.dev/service-account',
      evidence: {
        tags: {
          'irsa.dev/entity-ref': 'component:default/payments-api',
          'irsa.dev/cluster': 'prod',
          'irsa.dev/service-account': 'payments/payments-api',
        },
      },
      // The static hint, since the outcome brought none.
      remediation: 'Tag the role',
      durationMs: expect.any(Number),
    });
    expect(Object.keys(seen!.dependencies)).toEqual(['role']);
    expect(seen!.dependencies.role.status).toBe('pass');
  });

  it('does not add the static hint to a pass', async () => {
    const result = await resultOf(custom({ remediation: 'Tag the role' }));
    expect(result.status).toBe('pass');
    expect('remediation' in result).toBe(false);
  });

  it('is unknown, with a short message and nothing of the error, when it throws', async () => {
    const logger = mockServices.logger.mock();
    const result = await resultOf(
      custom({
        run() {
          throw new TypeError('secret token abc123 leaked');
        },
      }),
      { logger },
    );
    expect(result).toMatchObject({
      status: 'unknown',
      message: 'Could not check: the check failed unexpectedly',
      evidence: {},
    });
    expect(logger.warn).toHaveBeenCalledWith(
      'IRSA check tag-policy failed with TypeError',
    );
    expect(JSON.stringify([result, logger.warn.mock.calls])).not.toContain(
      'abc123',
    );
  });

  it('is unknown when its promise rejects with a non-Error, and logs no value', async () => {
    const logger = mockServices.logger.mock();
    const result = await resultOf(
      custom({ run: () => Promise.reject('abc123') }),
      { logger },
    );
    expect(result.message).toBe(
      'Could not check: the check failed unexpectedly',
    );
    expect(logger.warn).toHaveBeenCalledWith(
      'IRSA check tag-policy failed with a non-Error value',
    );
  });

  it('is unknown when it does not finish within the timeout', async () => {
    const result = await resultOf(
      custom({ run: () => new Promise(() => {}) }),
      { timeoutMs: 20 },
    );
    expect(result).toMatchObject({
      status: 'unknown',
      message: 'Could not check: the check did not finish within 20 ms',
    });
  });

  it.each([
    ['no object', undefined],
    ['a status it does not know', { status: 'ok', message: 'fine' }],
    ['no message', { status: 'pass' }],
    ['evidence that is a list', { status: 'pass', message: 'x', evidence: [] }],
  ])('is unknown when it returns %s', async (_case, outcome) => {
    const result = await resultOf(custom({ run: () => outcome as never }));
    expect(result).toMatchObject({
      status: 'unknown',
      message: 'Could not check: the check returned an invalid outcome',
    });
  });

  it('is unknown when it reads a source it did not declare', async () => {
    const result = await resultOf(
      custom({
        reads: ['role'],
        run: context => ({
          status: 'pass',
          message: `${context.read('pods').length} pods`,
        }),
      }),
    );
    expect(result.message).toBe(
      'Could not check: the check failed unexpectedly',
    );
  });

  it('is skipped, naming the dependency by title, when a dependency did not pass', async () => {
    const evidence = healthy();
    evidence.role = { ok: true, value: undefined, ms: 0 };
    const results = await runChecks(
      [...builtInChecks, custom({ dependsOn: ['role', 'trust-subject'] })],
      evidence,
    );
    expect(results.find(r => r.id === 'tag-policy')).toMatchObject({
      status: 'skipped',
      message: 'Skipped: IAM role, Trust subject did not pass',
    });
  });

  it('is skipped when a dependency is not part of the run (another mechanism)', async () => {
    const results = await runChecks(
      [custom({ dependsOn: ['pod-identity-agent'], reads: ['facts'] })],
      healthy(),
    );
    expect(results[0]).toMatchObject({
      status: 'skipped',
      message: 'Skipped: pod-identity-agent did not pass',
    });
  });

  it('does not run while the binding is unproven, and never sees the role', async () => {
    const evidence = healthy();
    rebind(evidence, {});
    const run = jest.fn();
    const results = await runChecks(
      [...builtInChecks, custom({ dependsOn: [], run })],
      evidence,
    );
    expect(results.find(r => r.id === 'tag-policy')).toMatchObject({
      status: 'skipped',
      message: 'Not shown: role not bound to this entity',
    });
    expect(run).not.toHaveBeenCalled();
  });

  it('is unknown, without running, when a source it reads could not be read', async () => {
    const evidence = healthy();
    evidence.policies = notRead('role policies did not answer within 10 ms');
    const run = jest.fn();
    const results = await runChecks(
      [...builtInChecks, custom({ reads: ['policies'], run })],
      evidence,
    );
    expect(results.find(r => r.id === 'tag-policy')).toMatchObject({
      status: 'unknown',
      message: 'Could not check: role policies did not answer within 10 ms',
    });
    expect(run).not.toHaveBeenCalled();
  });

  it('reports each result through onCheck, in run order', async () => {
    const seen: string[] = [];
    await runChecks([...builtInChecks, custom({})], healthy(), {
      onCheck: c => seen.push(c.id),
    });
    expect(seen).toEqual([...builtInChecks.map(c => c.id), 'tag-policy']);
  });
});

describe('what a check sees', () => {
  it('gets sources only through read: the evidence it is given holds no source', async () => {
    let keys: string[] = [];
    await resultOf(
      custom({
        reads: ['facts'],
        dependsOn: [],
        run: context => {
          keys = Object.keys(context.evidence);
          return { status: 'pass', message: 'ok' };
        },
      }),
    );
    expect(keys.sort()).toEqual([
      'audience',
      'cloudTrailLookbackMinutes',
      'defaultRoleName',
      'eksClusterName',
      'mechanism',
      'namespace',
      'requireBinding',
      'roleArn',
      'roleArnSource',
      'serviceAccountName',
    ]);
  });
});
