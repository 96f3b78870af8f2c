import { mockCredentials, mockServices } from '@backstage/backend-test-utils';
import { ConfigReader } from '@backstage/config';
import { AuthorizeResult } from '@backstage/plugin-permission-common';
import { DefaultMigrator } from '@backstage-irsa/plugin-irsa-node';
import { createSandboxIrsaService } from '@backstage-irsa/plugin-irsa-sandbox';
import { parse } from 'yaml';
import { createMigrateIrsaAction } from './migrateIrsaAction';
import { migrateExamples } from './migrateIrsaAction.examples';
import { actionContext, actionOutputs } from './__testUtils__/actionContext';

/** The demo's healthy IRSA workload. */
const payments = {
  cluster: 'sandbox',
  namespace: 'payments',
  serviceAccount: 'payments-api',
  entityRef: 'component:default/payments-api',
};
const start = { ...payments, to: 'pod-identity', step: 'start' };

/** Permission decisions by permission name (ALLOW when absent). */
async function setup(decisions: Record<string, AuthorizeResult> = {}) {
  const { service, sandbox } = await createSandboxIrsaService();
  const permissions = mockServices.permissions.mock({
    authorize: async requests =>
      requests.map(r => ({
        result: (decisions[r.permission.name] ?? AuthorizeResult.ALLOW) as
          AuthorizeResult.ALLOW | AuthorizeResult.DENY,
      })),
  });
  const action = createMigrateIrsaAction({
    migrator: DefaultMigrator.fromConfig({
      service,
      logger: mockServices.logger.mock(),
      config: new ConfigReader({}),
    }),
    permissions,
  });
  const writes = () =>
    sandbox.controls.calls.filter(c => c.write).map(c => c.operation);
  return { service, sandbox, permissions, action, writes };
}

describe('aws:irsa:migrate', () => {
  it.each(
    migrateExamples.map(
      e => [e.description, parse(e.example).steps[0].input] as const,
    ),
  )('runs the example: %s', async (_description, input) => {
    const { action, sandbox, service, writes } = await setup();
    // Finishing waits for every pod to be on the new mechanism.
    if (input.step === 'finish')
      sandbox.controls.restartPods(
        input.cluster,
        input.namespace,
        input.serviceAccount,
      );
    sandbox.controls.resetCalls();
    const ctx = actionContext(input);
    await action.handler(ctx as never);
    expect(actionOutputs(ctx)).toMatchObject({
      // Back to IRSA, the association keeps new pods on Pod Identity until finish deletes it.
      mechanism:
        input.to === 'irsa' && input.step === 'start'
          ? 'pod-identity'
          : input.to,
      step: input.step,
      podsOnOld: input.step === 'finish' ? 0 : 2,
    });
    const annotations = (await service.kubernetes.getServiceAccount(
      input.cluster,
      input.namespace,
      input.serviceAccount,
    ))!.annotations;
    // A dry run writes nothing, so the annotation stays as it was.
    expect({
      wrote: writes().length > 0,
      migratingTo: annotations['irsa.dev/migrating-to'],
    }).toEqual({
      wrote: !input.dryRun,
      migratingTo:
        input.step === 'start' || input.dryRun ? input.to : undefined,
    });
  });

  it('outputs the step and narrates it in the task log', async () => {
    const { action, service } = await setup();
    const ctx = actionContext(start);
    await action.handler(ctx as never);
    const [association] = await service.eks.listPodIdentityAssociations(
      { accountId: '111122223333', region: 'us-east-1' },
      'sandbox',
      { namespace: 'payments', serviceAccount: 'payments-api' },
    );
    const roleName = 'irsa-sandbox-payments-payments-api';
    const changes = [
      `add the EKS Pod Identity statement to the trust policy of role ${roleName}`,
      `create a Pod Identity association for payments/payments-api on sandbox with role arn:aws:iam::111122223333:role/${roleName}`,
      'patch the annotations of ServiceAccount payments/payments-api: set irsa.dev/migrating-to: pod-identity',
    ];
    expect(actionOutputs(ctx)).toEqual({
      mechanism: 'pod-identity',
      step: 'start',
      associationId: association.associationId,
      podsOnOld: 2,
      pods: 2,
      changes,
    });
    for (const change of changes)
      expect(ctx.info).toHaveBeenCalledWith(
        `${change[0].toUpperCase()}${change.slice(1)}`,
      );
    expect(ctx.info).toHaveBeenLastCalledWith(
      "Started: pods started from now on use EKS Pod Identity. 2 of 2 running pods still use IRSA: restart them (Restart pods on the entity's IAM card, or kubectl rollout restart), then run step finish",
    );
  });

  it.each([
    ['the dryRun input', { dryRun: true }, {}],
    ["the scaffolder's dry run", {}, { isDryRun: true }],
  ])(
    'writes nothing with %s and outputs what would change',
    async (_what, input, extra) => {
      const { action, writes } = await setup();
      const ctx = actionContext({ ...start, ...input }, extra);
      await action.handler(ctx as never);
      expect(writes()).toEqual([]);
      expect(actionOutputs(ctx)).toMatchObject({
        mechanism: 'pod-identity',
        podsOnOld: 2,
        pods: 2,
        changes: [
          expect.stringMatching(/^Would add the EKS Pod Identity statement/),
          expect.stringMatching(/^Would create a Pod Identity association/),
          expect.stringMatching(/^Would patch the annotations/),
        ],
      });
      expect(actionOutputs(ctx)).not.toHaveProperty('associationId');
      expect(ctx.info).toHaveBeenCalledWith('Dry run: nothing is written');
    },
  );

  it('checks irsa.role.migrate on the entity for the initiator before anything else', async () => {
    const { action, permissions, sandbox } = await setup({
      'irsa.role.migrate': AuthorizeResult.DENY,
    });
    await expect(action.handler(actionContext(start) as never)).rejects.toThrow(
      "entityRef: the task's initiator may not migrate component:default/payments-api (irsa.role.migrate)",
    );
    expect(permissions.authorize).toHaveBeenCalledWith(
      [
        {
          permission: expect.objectContaining({
            name: 'irsa.role.migrate',
            attributes: { action: 'update' },
            resourceType: 'catalog-entity',
          }),
          resourceRef: 'component:default/payments-api',
        },
      ],
      { credentials: mockCredentials.user() },
    );
    expect(sandbox.controls.calls).toEqual([]);
  });

  it('refuses a service principal that its access restrictions do not explicitly allow', async () => {
    const { action, permissions, sandbox } = await setup();
    await expect(
      action.handler(
        actionContext(start, {
          credentials: mockCredentials.service('external:ci'),
        }) as never,
      ),
    ).rejects.toThrow('(irsa.role.migrate)');
    expect(permissions.authorize).not.toHaveBeenCalled();
    expect(sandbox.controls.calls).toEqual([]);
  });

  it('refuses a malformed entity ref before asking for a permission', async () => {
    const { action, permissions, sandbox } = await setup();
    await expect(
      action.handler(
        actionContext({ ...start, entityRef: 'not a ref:' }) as never,
      ),
    ).rejects.toMatchObject({
      name: 'InputError',
      message:
        'entityRef: must be an entity reference such as component:default/my-service',
    });
    expect(permissions.authorize).not.toHaveBeenCalled();
    expect(sandbox.controls.calls).toEqual([]);
  });

  // What a careless template could hand the handler if the schema were bypassed.
  it.each([
    ['to', { to: 'ec2' }, 'to: must be one of irsa, pod-identity'],
    ['step', { step: 'both' }, 'step: must be one of start, finish'],
    [
      'serviceAccount',
      { serviceAccount: 'Payments_API' },
      'serviceAccount: must be a DNS-1123 subdomain (lowercase letters, digits, "-" and ".")',
    ],
    [
      'cluster',
      { cluster: 'prod' },
      'cluster: "prod" is not configured under irsa.clusters (configured: sandbox, sandbox-legacy)',
    ],
  ])(
    'names the field of an invalid %s and calls nothing',
    async (_field, bad, message) => {
      const { action, sandbox } = await setup();
      await expect(
        action.handler(actionContext({ ...start, ...bad }) as never),
      ).rejects.toMatchObject({ name: 'InputError', message });
      expect(sandbox.controls.calls).toEqual([]);
    },
  );

  it('declares every input the scaffolder validates before the handler runs', async () => {
    const { action } = await setup();
    const schema = action.schema?.input as {
      required: string[];
      properties: Record<string, { type?: string; enum?: string[] }>;
    };
    expect([...schema.required].sort()).toEqual([
      'cluster',
      'entityRef',
      'namespace',
      'serviceAccount',
      'step',
      'to',
    ]);
    expect(schema.properties.to.enum).toEqual(['irsa', 'pod-identity']);
    expect(schema.properties.step.enum).toEqual(['start', 'finish']);
    expect(schema.properties.dryRun.type).toBe('boolean');
  });
});
