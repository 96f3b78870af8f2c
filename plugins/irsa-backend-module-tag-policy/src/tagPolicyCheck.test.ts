import { mockServices } from '@backstage/backend-test-utils';
import { ConfigReader } from '@backstage/config';
import {
  builtInChecks,
  CheckRegistry,
  DefaultVerifier,
} from '@backstage-irsa/plugin-irsa-node';
import {
  createSandboxIrsaService,
  SANDBOX_SCENARIOS,
} from '@backstage-irsa/plugin-irsa-sandbox';
import {
  createTagPolicyCheck,
  readTagPolicy,
  type TagPolicy,
} from './tagPolicyCheck';

/** A JSON value, as ConfigReader takes it. */
type ConfigValue = NonNullable<
  ConstructorParameters<typeof ConfigReader>[0]
>[string];

describe('readTagPolicy', () => {
  const read = (tagPolicy: ConfigValue) =>
    readTagPolicy(new ConfigReader({ irsa: { tagPolicy } }));

  it('is undefined without irsa.tagPolicy', () => {
    expect(readTagPolicy(new ConfigReader({ irsa: {} }))).toBeUndefined();
  });

  it('reads the tag keys (once each) and the severity, warn by default', () => {
    expect(
      read({ requiredTags: ['cost-center', 'team', 'cost-center'] }),
    ).toEqual({ requiredTags: ['cost-center', 'team'], severity: 'warn' });
    expect(read({ requiredTags: ['Cost Center'], severity: 'fail' })).toEqual({
      requiredTags: ['Cost Center'],
      severity: 'fail',
    });
  });

  it.each([
    [{}, 'irsa.tagPolicy.requiredTags: must be a list of 1 to 50 tag keys'],
    [
      { requiredTags: [] },
      'irsa.tagPolicy.requiredTags: must be a list of 1 to 50 tag keys',
    ],
    [
      { requiredTags: 'cost-center' },
      'irsa.tagPolicy.requiredTags: must be a list of 1 to 50 tag keys',
    ],
    [
      { requiredTags: [7] },
      'irsa.tagPolicy.requiredTags: must be a list of 1 to 50 tag keys',
    ],
    [
      { requiredTags: ['aws:cloudformation:stack-name'] },
      'irsa.tagPolicy.requiredTags: "aws:cloudformation:stack-name" is not an IAM tag key (1 to 128 letters, digits, spaces and _.:/=+-@, not starting with aws:)',
    ],
    [
      { requiredTags: ['cost;center'] },
      'irsa.tagPolicy.requiredTags: "cost;center" is not an IAM tag key (1 to 128 letters, digits, spaces and _.:/=+-@, not starting with aws:)',
    ],
    [
      { requiredTags: ['cost-center'], severity: 'error' },
      'irsa.tagPolicy.severity: must be warn or fail',
    ],
  ])('refuses %j', (tagPolicy, message) => {
    expect(() => read(tagPolicy)).toThrow(new Error(message));
  });
});

describe('the tag-policy check on the sandbox', () => {
  const healthy = SANDBOX_SCENARIOS.find(s => s.id === 'healthy')!;
  const roleName = 'irsa-sandbox-payments-payments-api';

  async function verify(
    policy: TagPolicy,
    scenario = healthy,
    change?: (
      sandbox: Awaited<ReturnType<typeof createSandboxIrsaService>>,
    ) => Promise<void>,
  ) {
    const irsa = await createSandboxIrsaService();
    await change?.(irsa);
    const verifier = new DefaultVerifier({
      service: irsa.service,
      logger: mockServices.logger.mock(),
      checks: new CheckRegistry([
        ...builtInChecks,
        createTagPolicyCheck(policy),
      ]),
    });
    const report = await verifier.verify({
      ...scenario,
      trigger: 'manual',
    });
    return { report, check: report.checks.find(c => c.id === 'tag-policy')! };
  }

  it('passes for a seeded role: the demo platform tags include cost-center', async () => {
    const { report, check } = await verify({
      requiredTags: ['cost-center'],
      severity: 'warn',
    });
    expect(check).toEqual({
      id: 'tag-policy',
      title: 'Tag policy',
      mechanism: 'any',
      status: 'pass',
      message: 'The role carries cost-center',
      evidence: { requiredTags: ['cost-center'], missing: [] },
      durationMs: expect.any(Number),
    });
    expect(report.status).toBe('pass');
    expect(report.checks.map(c => c.id).slice(-2)).toEqual([
      'cloudtrail',
      'tag-policy',
    ]);
  });

  it('fails with the tag-role command for what is missing, when severity is fail', async () => {
    const { report, check } = await verify({
      requiredTags: ['cost-center', 'data-classification', 'Owner Team'],
      severity: 'fail',
    });
    expect(check).toMatchObject({
      status: 'fail',
      message:
        'The role lacks the required tags data-classification, Owner Team',
      evidence: {
        requiredTags: ['cost-center', 'data-classification', 'Owner Team'],
        missing: ['data-classification', 'Owner Team'],
      },
      remediation: `aws iam tag-role --role-name ${roleName} --tags Key=data-classification,Value=VALUE 'Key=Owner Team,Value=VALUE'   (roles made by aws:irsa:create get platform tags from irsa.provisioning.tags)`,
    });
    expect(report.status).toBe('fail');
  });

  it('warns when a required tag is there but empty', async () => {
    const { check } = await verify(
      { requiredTags: ['cost-center'], severity: 'warn' },
      healthy,
      async ({ service }) => {
        await service.iam.tagRole(
          { accountId: '111122223333', region: 'us-east-1' },
          roleName,
          { 'cost-center': '' },
        );
      },
    );
    expect(check).toMatchObject({
      status: 'warn',
      message: 'The role lacks the required tag cost-center',
    });
  });

  it('is skipped when the role does not exist', async () => {
    const deleted = SANDBOX_SCENARIOS.find(s => s.id === 'role-deleted')!;
    const { check } = await verify(
      { requiredTags: ['cost-center'], severity: 'fail' },
      deleted,
    );
    expect(check).toMatchObject({
      status: 'skipped',
      message: 'Skipped: IAM role did not pass',
      evidence: {},
    });
  });
});
