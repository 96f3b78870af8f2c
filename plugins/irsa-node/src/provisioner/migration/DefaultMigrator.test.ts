import { mockServices } from '@backstage/backend-test-utils';
import { ConfigReader } from '@backstage/config';
import {
  ANNOTATION_IRSA_MIGRATING_TO,
  EKS_ROLE_ARN_ANNOTATION,
  POD_IDENTITY_AUDIENCE,
  buildPodIdentityTrustStatement,
  buildTrustPolicy,
  type PolicyDocument,
} from '@backstage-irsa/plugin-irsa-common';
import {
  createSandboxIrsaService,
  type SandboxOperation,
} from '@backstage-irsa/plugin-irsa-sandbox';
import { GatewayError } from '../../gateways/errors';
import type { PodInfo } from '../../gateways/types';
import { ProvisionError } from '../ApplyRun';
import { MANAGED_BY, OWNERSHIP } from '../ownership';
import { DefaultMigrator } from './DefaultMigrator';
import type { MigrationInput } from './migrationTypes';

const target = { accountId: '111122223333', region: 'us-east-1' };
const cluster = 'sandbox';
const namespace = 'shop';
const serviceAccount = 'cart';
const entityRef = 'component:default/cart';
const roleName = 'irsa-sandbox-shop-cart';
const roleArn = `arn:aws:iam::111122223333:role/${roleName}`;
const input = { cluster, namespace, serviceAccount, entityRef };
const toPodIdentity = (step: 'start' | 'finish'): MigrationInput => ({
  ...input,
  to: 'pod-identity',
  step,
});
const toIrsa = (step: 'start' | 'finish'): MigrationInput => ({
  ...input,
  to: 'irsa',
  step,
});
const ownershipTags = {
  [OWNERSHIP.managedBy]: MANAGED_BY,
  [OWNERSHIP.entityRef]: entityRef,
  [OWNERSHIP.owner]: 'group:default/guests',
  [OWNERSHIP.cluster]: cluster,
  [OWNERSHIP.serviceAccount]: `${namespace}/${serviceAccount}`,
};
const podIdentityStatement = buildPodIdentityTrustStatement({
  partition: 'aws',
  accountId: target.accountId,
  region: target.region,
  clusterName: cluster,
  namespace,
  serviceAccount,
});
const throttled = (operation: string) =>
  new GatewayError({
    kind: 'throttled',
    operation,
    message: 'Rate exceeded',
    code: 'Throttling',
  });

/** Which mechanism each pod's SDK uses, by pod name. */
const mechanisms = (pods: PodInfo[]) =>
  Object.fromEntries(
    pods.map(p => {
      const env = p.containers[0].env;
      if ('AWS_ROLE_ARN' in env) return [p.name, 'irsa'];
      if ('AWS_CONTAINER_CREDENTIALS_FULL_URI' in env)
        return [p.name, 'pod-identity'];
      return [p.name, 'none'];
    }),
  );

/**
 * The sandbox with an IRSA workload as aws:irsa:create leaves it: the
 * role trusting the cluster's OIDC provider, the annotated ServiceAccount
 * (plus an annotation of someone else's) and two running pods.
 */
async function setup(config: object = {}) {
  const created = await createSandboxIrsaService();
  const { sandbox } = created;
  const service = created.service;
  const facts = await service.facts.get(cluster);
  const webIdentityTrust = buildTrustPolicy({
    oidcProviderArn: facts.oidcProviderArn,
    issuer: facts.issuer,
    namespace,
    serviceAccount,
  }).document;
  await service.iam.createRole(target, {
    name: roleName,
    path: '/',
    trustPolicy: webIdentityTrust,
    tags: ownershipTags,
  });
  await service.kubernetes.createServiceAccount(cluster, {
    namespace,
    name: serviceAccount,
    annotations: {
      [EKS_ROLE_ARN_ANNOTATION]: roleArn,
      [OWNERSHIP.entityRef]: entityRef,
      [OWNERSHIP.owner]: 'group:default/guests',
      'team.example/pager': 'shop',
    },
    labels: { [OWNERSHIP.managedBy]: MANAGED_BY },
  });
  for (const name of ['cart-1', 'cart-2'])
    sandbox.controls.createPod(cluster, namespace, {
      name,
      serviceAccountName: serviceAccount,
    });
  sandbox.controls.resetCalls();

  const migrator = DefaultMigrator.fromConfig({
    service,
    logger: mockServices.logger.mock(),
    config: new ConfigReader(config),
  });
  const log: string[] = [];
  const run = (migration: MigrationInput, dryRun = false) =>
    migrator.migrate(migration, { log: m => log.push(m), dryRun });
  const writes = () =>
    sandbox.controls.calls.filter(c => c.write).map(c => c.operation);
  const trust = async () =>
    (await service.iam.getRole(target, roleName)).trustPolicy;
  const account = async () =>
    (await service.kubernetes.getServiceAccount(
      cluster,
      namespace,
      serviceAccount,
    ))!;
  const associations = () =>
    service.eks.listPodIdentityAssociations(target, cluster, {
      namespace,
      serviceAccount,
    });
  const pods = async () =>
    mechanisms(
      await service.kubernetes.listPodsForServiceAccount(
        cluster,
        namespace,
        serviceAccount,
      ),
    );
  const restart = () =>
    sandbox.controls.restartPods(cluster, namespace, serviceAccount);
  return {
    service,
    sandbox,
    migrator,
    webIdentityTrust,
    log,
    run,
    writes,
    trust,
    account,
    associations,
    pods,
    restart,
  };
}

/** Mid-way to Pod Identity, every pod restarted onto it. */
async function startedToPodIdentity(config: object = {}) {
  const context = await setup(config);
  await context.run(toPodIdentity('start'));
  context.restart();
  context.sandbox.controls.resetCalls();
  context.log.length = 0;
  return context;
}

/** Fully on Pod Identity after a finished migration. */
async function onPodIdentity() {
  const context = await startedToPodIdentity();
  await context.run(toPodIdentity('finish'));
  context.sandbox.controls.resetCalls();
  context.log.length = 0;
  return context;
}

/** Mid-way back to IRSA (the pods still on Pod Identity: the association takes precedence). */
async function startedToIrsa() {
  const context = await onPodIdentity();
  await context.run(toIrsa('start'));
  context.sandbox.controls.resetCalls();
  context.log.length = 0;
  return context;
}

describe('DefaultMigrator', () => {
  describe('IRSA to EKS Pod Identity', () => {
    it('start: adds the Pod Identity statement, creates the association, then marks the ServiceAccount irsa.dev/migrating-to', async () => {
      const { run, writes, trust, account, associations, webIdentityTrust } =
        await setup();
      const { result } = await run(toPodIdentity('start'));

      expect(writes()).toEqual([
        'updateTrustPolicy',
        'createPodIdentityAssociation',
        'patchServiceAccountMetadata',
      ]);
      expect(await trust()).toEqual({
        Version: '2012-10-17',
        Statement: [...webIdentityTrust.Statement, podIdentityStatement],
      });
      const [association] = await associations();
      expect(result).toEqual({
        mechanism: 'pod-identity',
        step: 'start',
        associationId: association.associationId,
        podsOnOld: 2,
        pods: 2,
        changes: [
          `add the EKS Pod Identity statement to the trust policy of role ${roleName}`,
          `create a Pod Identity association for shop/cart on sandbox with role ${roleArn}`,
          'patch the annotations of ServiceAccount shop/cart: set irsa.dev/migrating-to: pod-identity',
        ],
      });
      // The role annotation stays: the association takes precedence for new pods.
      expect((await account()).annotations).toEqual({
        [EKS_ROLE_ARN_ANNOTATION]: roleArn,
        [ANNOTATION_IRSA_MIGRATING_TO]: 'pod-identity',
        [OWNERSHIP.entityRef]: entityRef,
        [OWNERSHIP.owner]: 'group:default/guests',
        'team.example/pager': 'shop',
      });
    });

    it('tags the association it creates like the role, and targets the role', async () => {
      const { run, service, associations } = await setup({
        irsa: { provisioning: { tags: { 'cost-center': 'shop' } } },
      });
      await run(toPodIdentity('start'));
      const [{ associationId }] = await associations();
      expect(
        await service.eks.describePodIdentityAssociation(
          target,
          cluster,
          associationId,
        ),
      ).toMatchObject({
        roleArn,
        namespace,
        serviceAccount,
        tags: { ...ownershipTags, 'cost-center': 'shop' },
      });
    });

    it('start: running pods keep IRSA, restarted pods get Pod Identity, and both exchange credentials meanwhile', async () => {
      const { run, pods, service, sandbox } = await setup();
      await run(toPodIdentity('start'));
      sandbox.controls.createPod(cluster, namespace, {
        name: 'cart-3',
        serviceAccountName: serviceAccount,
      });
      expect(await pods()).toEqual({
        'cart-1': 'irsa',
        'cart-2': 'irsa',
        'cart-3': 'pod-identity',
      });

      const [, , cart3] = await service.kubernetes.listPodsForServiceAccount(
        cluster,
        namespace,
        serviceAccount,
      );
      const podToken = await service.kubernetes.requestServiceAccountToken(
        cluster,
        namespace,
        serviceAccount,
        {
          audience: POD_IDENTITY_AUDIENCE,
          expirationSeconds: 3600,
          boundPod: { name: cart3.name, uid: cart3.uid },
        },
      );
      await expect(
        service.eksAuth.assumeRoleForPodIdentity(
          target,
          cluster,
          podToken.token,
        ),
      ).resolves.toMatchObject({
        assumedRoleArn: expect.stringContaining(`:assumed-role/${roleName}/`),
      });
      const webToken = await service.kubernetes.requestServiceAccountToken(
        cluster,
        namespace,
        serviceAccount,
        { expirationSeconds: 3600 },
      );
      await expect(
        service.sts.assumeRoleWithWebIdentity(target, {
          roleArn,
          webIdentityToken: webToken.token,
          sessionName: 'migration-test',
        }),
      ).resolves.toMatchObject({
        assumedRoleArn: expect.stringContaining(`:assumed-role/${roleName}/`),
      });
    });

    it('finish: refused while running pods still use IRSA, naming them, with no write', async () => {
      const { run, writes, sandbox } = await setup();
      await run(toPodIdentity('start'));
      sandbox.controls.resetCalls();
      await expect(run(toPodIdentity('finish'))).rejects.toMatchObject({
        name: 'ConflictError',
        message:
          "2 of 2 pods of shop/cart still use IRSA: cart-1, cart-2. Finishing now would cut them off; restart them first (Restart pods on the entity's IAM card, or kubectl rollout restart), then run step finish again. Nothing was written",
      });
      expect(writes()).toEqual([]);
    });

    it('finish: once every pod is restarted, removes the role annotation and the mark, then the web identity statement', async () => {
      const { run, writes, trust, account, associations, log } =
        await startedToPodIdentity();
      const { result } = await run(toPodIdentity('finish'));

      expect(writes()).toEqual([
        'patchServiceAccountMetadata',
        'updateTrustPolicy',
      ]);
      expect(await trust()).toEqual({
        Version: '2012-10-17',
        Statement: [podIdentityStatement],
      });
      expect((await account()).annotations).toEqual({
        [OWNERSHIP.entityRef]: entityRef,
        [OWNERSHIP.owner]: 'group:default/guests',
        'team.example/pager': 'shop',
      });
      const [association] = await associations();
      expect(result).toEqual({
        mechanism: 'pod-identity',
        step: 'finish',
        associationId: association.associationId,
        podsOnOld: 0,
        pods: 2,
        changes: [
          'patch the annotations of ServiceAccount shop/cart: remove eks.amazonaws.com/role-arn, remove irsa.dev/migrating-to',
          `remove the IRSA statement from the trust policy of role ${roleName}`,
        ],
      });
      expect(log.at(-1)).toBe(
        "Finished: shop/cart uses EKS Pod Identity only. Set irsa.dev/mechanism: pod-identity in the entity's catalog-info.yaml",
      );
    });

    it('a step run again writes nothing', async () => {
      const { run, writes, sandbox } = await setup();
      await run(toPodIdentity('start'));
      sandbox.controls.resetCalls();
      const { result } = await run(toPodIdentity('start'));
      expect(writes()).toEqual([]);
      expect(result.changes).toEqual([]);
    });

    it('goes ahead with a self-managed agent (its DaemonSet, no add-on)', async () => {
      const { run, sandbox, writes, log } = await setup();
      sandbox.controls.failNext(
        'describeAddon',
        new GatewayError({
          kind: 'not-found',
          operation: 'eks:DescribeAddon',
          message: 'No addon: eks-pod-identity-agent found in cluster: sandbox',
          code: 'ResourceNotFoundException',
        }),
      );
      await run(toPodIdentity('start'));
      expect(writes()).toHaveLength(3);
      expect(log).toContain(
        'Pod Identity agent: DaemonSet kube-system/eks-pod-identity-agent, 3 of 3 ready',
      );
    });
  });

  describe('EKS Pod Identity back to IRSA', () => {
    it('start: adds the web identity statement and the role annotation, keeps the association, and new pods stay on Pod Identity', async () => {
      const {
        run,
        writes,
        trust,
        account,
        associations,
        sandbox,
        pods,
        service,
      } = await onPodIdentity();
      const { result } = await run(toIrsa('start'));

      expect(writes()).toEqual([
        'updateTrustPolicy',
        'patchServiceAccountMetadata',
      ]);
      const facts = await service.facts.get(cluster);
      expect(await trust()).toEqual({
        Version: '2012-10-17',
        Statement: [
          podIdentityStatement,
          buildTrustPolicy({
            oidcProviderArn: facts.oidcProviderArn,
            issuer: facts.issuer,
            namespace,
            serviceAccount,
          }).document.Statement[0],
        ],
      });
      expect((await account()).annotations).toMatchObject({
        [EKS_ROLE_ARN_ANNOTATION]: roleArn,
        [ANNOTATION_IRSA_MIGRATING_TO]: 'irsa',
      });
      const [association] = await associations();
      expect(result).toMatchObject({
        mechanism: 'pod-identity',
        step: 'start',
        associationId: association.associationId,
        podsOnOld: 2,
        pods: 2,
      });
      // The association takes precedence until finish deletes it.
      sandbox.controls.createPod(cluster, namespace, {
        name: 'cart-new',
        serviceAccountName: serviceAccount,
      });
      expect((await pods())['cart-new']).toBe('pod-identity');
    });

    it('finish: removes the mark and the Pod Identity statement, deletes the association last, and the trust is the original IRSA one again', async () => {
      const {
        run,
        writes,
        trust,
        associations,
        account,
        webIdentityTrust,
        pods,
        restart,
        log,
      } = await startedToIrsa();
      const { result } = await run(toIrsa('finish'));

      expect(writes()).toEqual([
        'patchServiceAccountMetadata',
        'updateTrustPolicy',
        'deletePodIdentityAssociation',
      ]);
      expect(JSON.stringify(await trust())).toBe(
        JSON.stringify(webIdentityTrust),
      );
      expect(await associations()).toEqual([]);
      expect((await account()).annotations).toEqual({
        [EKS_ROLE_ARN_ANNOTATION]: roleArn,
        [OWNERSHIP.entityRef]: entityRef,
        [OWNERSHIP.owner]: 'group:default/guests',
        'team.example/pager': 'shop',
      });
      expect(result).toEqual({
        mechanism: 'irsa',
        step: 'finish',
        podsOnOld: 2,
        pods: 2,
        changes: [
          'patch the annotations of ServiceAccount shop/cart: remove irsa.dev/migrating-to',
          `remove the EKS Pod Identity statement from the trust policy of role ${roleName}`,
          expect.stringMatching(
            /^delete Pod Identity association a-[a-z0-9]{17} of shop\/cart$/,
          ),
        ],
      });
      // The pods could not move before: they are named for a restart, which moves them.
      const stillOnPodIdentity = Object.keys(await pods());
      expect(log.at(-1)).toBe(
        `Finished: pods started from now on use IRSA. 2 of 2 running pods still use EKS Pod Identity and get no new credentials without the association: restart them (Restart pods on the entity's IAM card, or kubectl rollout restart) now (${stillOnPodIdentity.join(', ')}). Set irsa.dev/mechanism: irsa in the entity's catalog-info.yaml`,
      );
      restart();
      expect(Object.values(await pods())).toEqual(['irsa', 'irsa']);
    });
  });

  describe('dry run', () => {
    it('prints the trust before and after, the association and the annotation patch, and writes nothing', async () => {
      const { run, writes, log, webIdentityTrust } = await setup();
      const { result } = await run(toPodIdentity('start'), true);

      expect(writes()).toEqual([]);
      const after: PolicyDocument = {
        Version: '2012-10-17',
        Statement: [...webIdentityTrust.Statement, podIdentityStatement],
      };
      expect(log).toEqual(
        expect.arrayContaining([
          'Dry run: nothing is written',
          `Trust policy before:\n${JSON.stringify(webIdentityTrust, null, 2)}\nTrust policy after:\n${JSON.stringify(after, null, 2)}`,
          `Association:\n${JSON.stringify(
            {
              clusterName: cluster,
              namespace,
              serviceAccount,
              roleArn,
              tags: ownershipTags,
            },
            null,
            2,
          )}`,
          expect.stringMatching(
            /^ServiceAccount metadata merge patch \(at resourceVersion \d+\):\n/,
          ),
        ]),
      );
      expect(log.find(l => l.startsWith('ServiceAccount metadata'))).toContain(
        JSON.stringify(
          {
            metadata: {
              annotations: {
                [ANNOTATION_IRSA_MIGRATING_TO]: 'pod-identity',
              },
            },
          },
          null,
          2,
        ),
      );
      expect(result).toEqual({
        mechanism: 'pod-identity',
        step: 'start',
        podsOnOld: 2,
        pods: 2,
        changes: [
          `Would add the EKS Pod Identity statement to the trust policy of role ${roleName}`,
          `Would create a Pod Identity association for shop/cart on sandbox with role ${roleArn}`,
          'Would patch the annotations of ServiceAccount shop/cart: set irsa.dev/migrating-to: pod-identity',
        ],
      });
    });
  });

  describe('refusals: nothing is written', () => {
    it('no Pod Identity agent on the cluster', async () => {
      const { run, writes, sandbox } = await setup();
      sandbox.controls.setPodIdentityAgent(cluster, null);
      await expect(run(toPodIdentity('start'))).rejects.toMatchObject({
        name: 'InputError',
        message:
          'cluster: sandbox has no EKS Pod Identity agent (no eks-pod-identity-agent add-on, no kube-system/eks-pod-identity-agent DaemonSet); install it first: aws eks create-addon --cluster-name sandbox --addon-name eks-pod-identity-agent --region us-east-1. Nothing was written',
      });
      expect(writes()).toEqual([]);
    });

    it.each([
      [
        'Fargate',
        { labels: { 'eks.amazonaws.com/fargate-profile': 'fp' } },
        'runs on Fargate',
      ],
      ['Windows', { os: 'windows' }, 'runs on a Windows node'],
    ])('a pod on %s', async (_what, spec, why) => {
      const { run, writes, sandbox } = await setup();
      sandbox.controls.createPod(cluster, namespace, {
        name: 'cart-odd',
        serviceAccountName: serviceAccount,
        ...spec,
      });
      sandbox.controls.resetCalls();
      await expect(run(toPodIdentity('start'))).rejects.toMatchObject({
        name: 'InputError',
        message: `to: EKS Pod Identity does not run on Fargate or Windows nodes, and pod cart-odd ${why}; keep this workload on IRSA. Nothing was written`,
      });
      expect(writes()).toEqual([]);
    });

    it("another entity's role", async () => {
      const { run, writes, service, sandbox } = await setup();
      await service.iam.tagRole(target, roleName, {
        [OWNERSHIP.entityRef]: 'component:default/other',
      });
      sandbox.controls.resetCalls();
      await expect(run(toPodIdentity('start'))).rejects.toMatchObject({
        name: 'ConflictError',
        message:
          'role irsa-sandbox-shop-cart belongs to component:default/other (owner group:default/guests). aws:irsa:migrate changes only what component:default/cart owns. Nothing was written',
      });
      expect(writes()).toEqual([]);
    });

    it('a ServiceAccount nobody manages', async () => {
      const { run, writes, service, sandbox } = await setup();
      await service.kubernetes.patchServiceAccountMetadata(
        cluster,
        namespace,
        serviceAccount,
        { labels: { [OWNERSHIP.managedBy]: null } },
      );
      sandbox.controls.resetCalls();
      await expect(run(toPodIdentity('start'))).rejects.toMatchObject({
        name: 'ConflictError',
        message:
          'ServiceAccount shop/cart exists and is not managed by IRSA for Backstage. aws:irsa:migrate changes only what component:default/cart owns. Nothing was written',
      });
      expect(writes()).toEqual([]);
    });

    it("an association nobody manages, or another role's", async () => {
      const { run, writes, service, sandbox } = await setup();
      await service.iam.updateTrustPolicy(target, roleName, {
        Version: '2012-10-17',
        Statement: [podIdentityStatement],
      });
      const { associationId } = await service.eks.createPodIdentityAssociation(
        target,
        {
          clusterName: cluster,
          namespace,
          serviceAccount,
          roleArn,
          tags: {},
        },
      );
      sandbox.controls.resetCalls();
      await expect(run(toPodIdentity('start'))).rejects.toMatchObject({
        name: 'ConflictError',
        message: `Pod Identity association ${associationId} of shop/cart exists and is not managed by IRSA for Backstage. aws:irsa:migrate changes only what component:default/cart owns. Nothing was written`,
      });
      expect(writes()).toEqual([]);
    });

    it('Backstage may not patch the ServiceAccount', async () => {
      const { run, writes, sandbox } = await setup();
      sandbox.controls.denyAccess(cluster, {
        verb: 'patch',
        resource: 'serviceaccounts',
        namespace,
      });
      await expect(run(toPodIdentity('start'))).rejects.toMatchObject({
        name: 'NotAllowedError',
        message:
          "Backstage's Kubernetes identity on cluster sandbox may not patch serviceaccounts in namespace shop; grant it (see the README's RBAC). Nothing was written",
      });
      expect(writes()).toEqual([]);
    });

    it('a role that does not exist', async () => {
      const { run, writes } = await setup();
      await expect(
        run({ ...toPodIdentity('start'), roleName: 'nope' }),
      ).rejects.toMatchObject({
        name: 'NotFoundError',
        message:
          'role nope does not exist in account 111122223333; pass roleName when the role was created with a custom name. Nothing was written',
      });
      expect(writes()).toEqual([]);
    });

    it.each([
      [
        'finishing before starting',
        toPodIdentity('finish'),
        'ServiceAccount shop/cart is not migrating to EKS Pod Identity; run step start first. Nothing was written',
      ],
      [
        'starting a move to where it already is',
        toIrsa('start'),
        'ServiceAccount shop/cart already uses IRSA: there is nothing to migrate. Nothing was written',
      ],
    ])('%s', async (_what, migration, message) => {
      const { run, writes } = await setup();
      await expect(run(migration)).rejects.toMatchObject({
        name: 'ConflictError',
        message,
      });
      expect(writes()).toEqual([]);
    });

    it('finishing the other direction while a move is under way', async () => {
      const { run, writes } = await startedToPodIdentity();
      await expect(run(toIrsa('finish'))).rejects.toMatchObject({
        name: 'ConflictError',
        message:
          'ServiceAccount shop/cart is migrating to EKS Pod Identity (irsa.dev/migrating-to: pod-identity); finish that move (to: pod-identity), or start the move to IRSA again. Nothing was written',
      });
      expect(writes()).toEqual([]);
    });

    it.each([
      ['to', { to: 'aws' }, 'to: must be one of irsa, pod-identity'],
      ['step', { step: 'later' }, 'step: must be one of start, finish'],
      [
        'namespace',
        { namespace: 'Shop' },
        'namespace: must be a DNS-1123 label (lowercase letters, digits and "-", at most 63)',
      ],
      [
        'roleName',
        { roleName: 'a b' },
        'roleName: must be 1-64 of A-Z a-z 0-9 +=,.@_-',
      ],
    ])('an invalid %s, before any call', async (_field, bad, message) => {
      const { run, sandbox } = await setup();
      await expect(
        run({ ...toPodIdentity('start'), ...(bad as object) }),
      ).rejects.toMatchObject({ name: 'InputError', message });
      expect(sandbox.controls.calls).toEqual([]);
    });
  });

  describe('rollback', () => {
    const cases: Array<
      [
        string,
        () => ReturnType<typeof setup>,
        MigrationInput,
        SandboxOperation,
        unknown[],
      ]
    > = [
      [
        'start to Pod Identity',
        setup,
        toPodIdentity('start'),
        'updateTrustPolicy',
        [],
      ],
      [
        'start to Pod Identity',
        setup,
        toPodIdentity('start'),
        'createPodIdentityAssociation',
        [`trust policy of ${roleArn} (the document as read)`],
      ],
      [
        'start to Pod Identity',
        setup,
        toPodIdentity('start'),
        'patchServiceAccountMetadata',
        [
          expect.stringMatching(/^Pod Identity association a-[a-z0-9]{17}$/),
          `trust policy of ${roleArn} (the document as read)`,
        ],
      ],
      [
        'finish to Pod Identity',
        startedToPodIdentity,
        toPodIdentity('finish'),
        'updateTrustPolicy',
        ['annotations of ServiceAccount shop/cart'],
      ],
      [
        'start to IRSA',
        onPodIdentity,
        toIrsa('start'),
        'patchServiceAccountMetadata',
        [`trust policy of ${roleArn} (the document as read)`],
      ],
      [
        'finish to IRSA',
        startedToIrsa,
        toIrsa('finish'),
        'deletePodIdentityAssociation',
        [
          `trust policy of ${roleArn} (the document as read)`,
          'annotations of ServiceAccount shop/cart',
        ],
      ],
    ];

    it.each(cases)(
      '%s failing at %s: restores the trust byte for byte, the annotations and the associations',
      async (_what, arrange, migration, failing, rolledBack) => {
        const context = await arrange();
        const { run, trust, account, associations, sandbox } = context;
        const before = {
          trust: JSON.stringify(await trust()),
          annotations: (await account()).annotations,
          associations: await associations(),
        };
        sandbox.controls.failNext(failing, throttled(failing));

        const failure = await run(migration).catch(e => e);
        expect(failure).toBeInstanceOf(ProvisionError);
        expect((failure as ProvisionError).rolledBack).toEqual(rolledBack);
        expect((failure as ProvisionError).leftBehind).toEqual([]);
        expect(JSON.stringify(await trust())).toBe(before.trust);
        expect((await account()).annotations).toEqual(before.annotations);
        expect(await associations()).toEqual(before.associations);
      },
    );

    it('reports precisely what it could not roll back', async () => {
      const { run, sandbox, trust, webIdentityTrust } = await setup();
      sandbox.controls.failNext(
        'patchServiceAccountMetadata',
        throttled('k8s:patch serviceaccounts'),
      );
      sandbox.controls.failNext(
        'deletePodIdentityAssociation',
        throttled('eks:DeletePodIdentityAssociation'),
      );
      const failure: ProvisionError = await run(toPodIdentity('start')).catch(
        e => e,
      );
      expect(failure.message).toMatch(
        new RegExp(
          `^patch the annotations of ServiceAccount shop/cart: set irsa.dev/migrating-to: pod-identity failed: k8s:patch serviceaccounts: Rate exceeded\\. Rolled back: trust policy of ${roleArn} \\(the document as read\\)\\. Could not roll back: Pod Identity association a-[a-z0-9]{17} \\(eks:DeletePodIdentityAssociation: Rate exceeded\\)\\.$`,
        ),
      );
      expect(JSON.stringify(await trust())).toBe(
        JSON.stringify(webIdentityTrust),
      );
    });
  });
});
