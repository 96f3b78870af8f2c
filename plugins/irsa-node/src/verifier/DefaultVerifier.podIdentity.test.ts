import { mockServices } from '@backstage/backend-test-utils';
import {
  buildPodIdentityTrustStatement,
  type VerificationReport,
} from '@backstage-irsa/plugin-irsa-common';
import {
  createSandboxIrsaService,
  SANDBOX_SCENARIOS,
  SANDBOX_WIRING_SCENARIOS,
  type SandboxWiringScenarioId,
} from '@backstage-irsa/plugin-irsa-sandbox';
import { GatewayError } from '../gateways/errors';
import type { IrsaService, VerifyRequest } from '../service/types';
import { CheckRegistry } from './CheckRegistry';
import { builtInChecks } from './checks';
import { DefaultVerifier } from './DefaultVerifier';
import { lockstep } from './__testUtils__/lockstep';

const wiring = (id: SandboxWiringScenarioId) => {
  const s = SANDBOX_WIRING_SCENARIOS.find(x => x.id === id)!;
  const request: VerifyRequest = {
    cluster: s.cluster,
    namespace: s.namespace,
    serviceAccount: s.serviceAccount,
    roleArn: s.roleArn,
    entityRef: s.entityRef,
    mechanism: s.mechanism,
    trigger: 'manual',
  };
  return { ...s, request };
};
const ledger = wiring('pod-identity-healthy');
const archive = wiring('pod-identity-agent-missing');
const catalog = wiring('migrating-to-pod-identity');
const notifications = wiring('static-keys-shadow');

/** Every gateway call with its arguments, for asserting exact inputs. */
function recorded(service: IrsaService) {
  const calls: Array<{ operation: string; args: unknown[] }> = [];
  const wrap = <T extends object>(gateway: T): T =>
    new Proxy(gateway, {
      get(target, property, receiver) {
        const value = Reflect.get(target, property, receiver);
        if (typeof value !== 'function') return value;
        return (...args: unknown[]) => {
          calls.push({ operation: String(property), args });
          return value.apply(target, args);
        };
      },
    });
  const wrapped: IrsaService = {
    ...service,
    iam: wrap(service.iam),
    sts: wrap(service.sts),
    eks: wrap(service.eks),
    eksAuth: wrap(service.eksAuth),
    cloudTrail: wrap(service.cloudTrail),
    kubernetes: wrap(service.kubernetes),
  };
  return {
    service: wrapped,
    calls,
    argsOf: (operation: string) =>
      calls.filter(c => c.operation === operation).map(c => c.args),
  };
}

async function setup(podIdentityExchange?: boolean) {
  const { service, sandbox } = await createSandboxIrsaService();
  const record = recorded(service);
  const verifier = new DefaultVerifier({
    service: record.service,
    logger: mockServices.logger.mock(),
    ...(podIdentityExchange === undefined ? {} : { podIdentityExchange }),
  });
  // Calls the tests make themselves go through the recorder too.
  return { sandbox, verifier, ...record };
}

const statuses = (report: VerificationReport) =>
  Object.fromEntries(report.checks.map(c => [c.id, c.status]));
const check = (report: VerificationReport, id: string) =>
  report.checks.find(c => c.id === id)!;
const registry = new CheckRegistry(builtInChecks);
const idsOf = (...mechanisms: Array<'irsa' | 'pod-identity'>) =>
  registry.checksFor(...mechanisms).map(c => c.id);

async function associationIdOf(
  service: IrsaService,
  s: { cluster: string; namespace: string; serviceAccount: string },
) {
  const [found] = await service.eks.listPodIdentityAssociations(
    { accountId: '111122223333', region: 'us-east-1' },
    s.cluster,
    { namespace: s.namespace, serviceAccount: s.serviceAccount },
  );
  return found.associationId;
}

describe('DefaultVerifier on EKS Pod Identity', () => {
  it('passes every Pod Identity check of a healthy workload; the exchange is skipped while off', async () => {
    const { verifier, service, argsOf } = await setup();
    const report = await verifier.verify(ledger.request);
    expect(statuses(report)).toEqual(
      Object.fromEntries(
        idsOf('pod-identity').map(id => [
          id,
          id === 'pod-identity-exchange' ? 'skipped' : 'pass',
        ]),
      ),
    );
    expect(report).toMatchObject({
      status: 'pass',
      mechanism: 'pod-identity',
      roleArn: ledger.roleArn,
      podIdentityAssociationId: await associationIdOf(service, ledger),
    });
    expect(report.migration).toBeUndefined();
    expect(check(report, 'pod-identity-exchange').message).toBe(
      "Not run: AWS reserves eks-auth:AssumeRoleForPodIdentity for the EKS Pod Identity Agent, so calling it from Backstage is opt-in (irsa.verification.podIdentityExchange, and eks-auth:AssumeRoleForPodIdentity for Backstage's identity); proven instead: the association gives this ServiceAccount the role, the trust lets EKS assume it for this workload, and the agent runs",
    );
    // Off: no token is minted and EKS Auth is never called.
    expect(argsOf('requestServiceAccountToken')).toEqual([]);
    expect(argsOf('assumeRoleForPodIdentity')).toEqual([]);
  });

  it('exchanges, when enabled, a token bound to a running pod with audience pods.eks.amazonaws.com, and never shows it', async () => {
    const { verifier, argsOf } = await setup(true);
    const report = await verifier.verify(ledger.request);
    const [tokenRequest] = argsOf('requestServiceAccountToken');
    const [exchange] = argsOf('assumeRoleForPodIdentity');
    const pod = (tokenRequest[3] as { boundPod: { name: string; uid: string } })
      .boundPod;
    expect(tokenRequest).toEqual([
      'sandbox',
      'ledger',
      'ledger-api',
      {
        audience: 'pods.eks.amazonaws.com',
        expirationSeconds: 600,
        boundPod: { name: 'ledger-api-6c4b9-7d9f8', uid: pod.uid },
      },
    ]);
    expect(exchange.slice(0, 2)).toEqual([
      { accountId: '111122223333', region: 'us-east-1' },
      'sandbox',
    ]);
    const token = exchange[2] as string;
    expect(token).toMatch(/^eyJ/);
    expect(check(report, 'pod-identity-exchange')).toMatchObject({
      status: 'pass',
      evidence: {
        pod: 'ledger-api-6c4b9-7d9f8',
        subject: 'ledger/ledger-api',
        audience: 'pods.eks.amazonaws.com',
      },
    });
    const text = JSON.stringify(report);
    expect(text).not.toContain(token);
    expect(text).not.toMatch(/SecretAccessKey|SessionToken|AccessKeyId/);
  });

  it('skips the exchange without a running pod to bind the token to', async () => {
    const { service } = await setup(true);
    const withoutPods = new DefaultVerifier({
      service: {
        ...service,
        kubernetes: new Proxy(service.kubernetes, {
          get: (target, property, receiver) =>
            property === 'listPodsForServiceAccount'
              ? async () => []
              : Reflect.get(target, property, receiver),
        }),
      },
      logger: mockServices.logger.mock(),
      podIdentityExchange: true,
    });
    expect(
      check(await withoutPods.verify(ledger.request), 'pod-identity-exchange'),
    ).toMatchObject({
      status: 'skipped',
      evidence: { reason: 'no-running-pod' },
    });
  });

  it('fails the agent where no add-on or DaemonSet runs, with the command to install it', async () => {
    const { verifier } = await setup(true);
    const report = await verifier.verify(archive.request);
    expect(check(report, 'pod-identity-agent')).toMatchObject({
      status: 'fail',
      message:
        'The EKS Pod Identity Agent is not installed on sandbox-legacy: no eks-pod-identity-agent add-on and no kube-system/eks-pod-identity-agent DaemonSet',
      remediation:
        'aws eks create-addon --cluster-name sandbox-legacy --addon-name eks-pod-identity-agent --region us-west-2',
    });
    expect(check(report, 'pod-identity-exchange')).toMatchObject({
      status: 'skipped',
      message: 'Skipped: Pod Identity agent did not pass',
    });
    expect(report.status).toBe('fail');
  });

  it("runs both mechanisms' checks during a migration and counts the pods still on IRSA", async () => {
    const { verifier, sandbox } = await setup();
    const report = await verifier.verify(catalog.request);
    expect(report.checks.map(c => c.id)).toEqual(idsOf('pod-identity', 'irsa'));
    expect(report).toMatchObject({
      status: 'warn',
      mechanism: 'pod-identity',
      migration: { from: 'irsa', to: 'pod-identity', podsOnOld: 2, pods: 3 },
    });
    expect(check(report, 'conflict')).toMatchObject({
      status: 'warn',
      message: 'Migrating to Pod Identity: 2 of 3 running pods still on IRSA',
    });
    expect(check(report, 'pod-identity-injection')).toMatchObject({
      status: 'warn',
      evidence: {
        restartNeeded: ['catalog-api-6c4b9-7d9f8', 'catalog-api-6c4b9-k2x4q'],
        owners: [
          {
            pod: 'catalog-api-6c4b9-7d9f8',
            kind: 'Deployment',
            name: 'catalog-api',
          },
          {
            pod: 'catalog-api-6c4b9-k2x4q',
            kind: 'Deployment',
            name: 'catalog-api',
          },
        ],
      },
      remediation:
        'kubectl rollout restart deployment/catalog-api -n catalog   (or "Restart pods" in the portal)',
    });
    // The old mechanism's checks still hold for the pods on it.
    expect(check(report, 'credential-exchange').status).toBe('pass');
    expect(check(report, 'pod-injection').status).toBe('pass');

    sandbox.controls.restartPods(
      catalog.cluster,
      catalog.namespace,
      catalog.serviceAccount,
    );
    const after = await verifier.verify(catalog.request);
    expect(after.migration).toEqual({
      from: 'irsa',
      to: 'pod-identity',
      podsOnOld: 0,
      pods: 3,
    });
    expect(check(after, 'conflict').message).toBe(
      'Migrating to Pod Identity: every running pod is on Pod Identity; finish the migration (aws:irsa:migrate, step finish) to remove what IRSA needed',
    );
    expect(after.status).toBe('pass');
  });

  it('fails shadowing by static keys, naming container and variables, never their values', async () => {
    const { verifier } = await setup();
    const report = await verifier.verify(notifications.request);
    expect(report.mechanism).toBe('irsa');
    expect(check(report, 'shadowing')).toMatchObject({
      status: 'fail',
      message:
        'Shadowed: container app sets AWS_ACCESS_KEY_ID from a literal value; container app sets AWS_SECRET_ACCESS_KEY from a Secret: these can silently win over IRSA and Pod Identity',
    });
    expect(JSON.stringify(report)).not.toContain('AKIAIOSFODNN7EXAMPLE');
    expect(report.status).toBe('fail');
  });

  it('fails the conflict when an IRSA ServiceAccount also gets an association: new pods get Pod Identity', async () => {
    const { verifier, service } = await setup();
    const s = SANDBOX_SCENARIOS.find(x => x.id === 'healthy')!;
    const target = { accountId: '111122223333', region: 'us-east-1' };
    // EKS refuses an association whose role does not trust it.
    const roleName = s.roleArn.split('/').pop()!;
    const { trustPolicy } = await service.iam.getRole(target, roleName);
    await service.iam.updateTrustPolicy(target, roleName, {
      ...trustPolicy,
      Statement: [
        ...trustPolicy.Statement,
        buildPodIdentityTrustStatement({
          partition: 'aws',
          ...target,
          clusterName: s.cluster,
          namespace: s.namespace,
          serviceAccount: s.serviceAccount,
        }),
      ],
    });
    const associated = await service.eks.createPodIdentityAssociation(target, {
      clusterName: s.cluster,
      namespace: s.namespace,
      serviceAccount: s.serviceAccount,
      roleArn: s.roleArn,
      tags: { 'irsa.dev/entity-ref': s.entityRef },
    });
    const report = await verifier.verify({ ...s, trigger: 'manual' });
    expect(report.mechanism).toBe('pod-identity');
    expect(check(report, 'conflict')).toMatchObject({
      status: 'fail',
      message: `ServiceAccount payments/payments-api has both eks.amazonaws.com/role-arn and Pod Identity association ${associated.associationId}: new pods get Pod Identity, 2 running pods still use IRSA`,
    });
    expect(check(report, 'pod-identity-trust').status).toBe('pass');
  });

  it('fails the platform check for a pod on Fargate', async () => {
    const { verifier, sandbox } = await setup();
    sandbox.controls.createPod(ledger.cluster, ledger.namespace, {
      name: 'ledger-api-fargate',
      serviceAccountName: ledger.serviceAccount,
      labels: { 'eks.amazonaws.com/fargate-profile': 'fp-default' },
    });
    const report = await verifier.verify(ledger.request);
    expect(check(report, 'pod-identity-platform')).toMatchObject({
      status: 'fail',
      message:
        'Pod Identity does not run here, use IRSA: ledger-api-fargate runs on Fargate',
    });
    // A restart would not help there: not the injection check's to name.
    expect(check(report, 'pod-identity-injection').status).toBe('pass');
  });

  it('follows the entity when nothing in the cluster says which mechanism', async () => {
    const { verifier } = await setup();
    const s = SANDBOX_SCENARIOS.find(x => x.id === 'sa-not-annotated')!;
    const report = await verifier.verify({
      ...s,
      mechanism: 'pod-identity',
      trigger: 'manual',
    });
    expect(report.mechanism).toBe('pod-identity');
    expect(check(report, 'pod-identity-association')).toMatchObject({
      status: 'fail',
      message:
        'No Pod Identity association for ServiceAccount orders/orders-worker on sandbox',
    });
  });

  it('keeps an IRSA report when the associations cannot be listed, and says so in the checks that need them', async () => {
    const { verifier, sandbox } = await setup();
    const s = SANDBOX_SCENARIOS.find(x => x.id === 'healthy')!;
    sandbox.controls.failNext(
      'listPodIdentityAssociations',
      new GatewayError({
        kind: 'access-denied',
        operation: 'eks:ListPodIdentityAssociations',
        code: 'AccessDeniedException',
        message: 'not authorized',
      }),
    );
    const report = await verifier.verify({ ...s, trigger: 'manual' });
    expect(report.mechanism).toBe('irsa');
    expect(check(report, 'conflict')).toMatchObject({
      status: 'unknown',
      message:
        "Could not check: eks:ListPodIdentityAssociations failed: eks:ListPodIdentityAssociations: access denied to Backstage's identity (AccessDeniedException)",
    });
    expect(
      report.checks.filter(c => c.status !== 'pass').map(c => c.id),
    ).toEqual(['conflict']);
  });

  it('mints no token while the association cannot be described: it may give pods another role', async () => {
    const { verifier, service, sandbox, argsOf } = await setup(true);
    await service.eks.updatePodIdentityAssociation(
      { accountId: '111122223333', region: 'us-east-1' },
      ledger.cluster,
      await associationIdOf(service, ledger),
      { roleArn: catalog.roleArn },
    );
    sandbox.controls.failNext(
      'describePodIdentityAssociation',
      new GatewayError({
        kind: 'throttled',
        operation: 'eks:DescribePodIdentityAssociation',
        code: 'ThrottlingException',
        message: 'Rate exceeded',
      }),
    );
    const report = await verifier.verify(ledger.request);
    expect(check(report, 'pod-identity-association').status).toBe('unknown');
    expect(check(report, 'pod-identity-exchange').status).toBe('skipped');
    expect(argsOf('requestServiceAccountToken')).toEqual([]);
    expect(argsOf('assumeRoleForPodIdentity')).toEqual([]);
    expect(JSON.stringify(report)).not.toContain(catalog.roleArn);
  });

  it('refuses an association that gives pods another role: nothing is shown, no token is minted', async () => {
    const { verifier, service, argsOf } = await setup(true);
    // Another entity's role that EKS Pod Identity may assume.
    const other = catalog;
    await service.eks.updatePodIdentityAssociation(
      { accountId: '111122223333', region: 'us-east-1' },
      ledger.cluster,
      await associationIdOf(service, ledger),
      { roleArn: other.roleArn },
    );
    const report = await verifier.verify(ledger.request);
    expect(check(report, 'binding')).toMatchObject({
      status: 'fail',
      message:
        'Not bound to this entity: the Pod Identity association of ledger/ledger-api gives pods another role',
    });
    expect(report.policies).toEqual([]);
    expect(report.podIdentityAssociationId).toBeUndefined();
    expect(
      report.checks
        .filter(c => c.status !== 'skipped')
        .map(c => [c.id, c.status]),
    ).toEqual([
      ['binding', 'fail'],
      ['pod-identity-agent', 'pass'],
    ]);
    expect(argsOf('requestServiceAccountToken')).toEqual([]);
    expect(argsOf('assumeRoleForPodIdentity')).toEqual([]);
    expect(JSON.stringify(report)).not.toContain(other.roleArn);
  });
});

describe('DefaultVerifier round trips', () => {
  const rounds = async (
    request: VerifyRequest,
    podIdentityExchange: boolean,
  ) => {
    const { service } = await createSandboxIrsaService();
    const facts = await service.facts.get(request.cluster);
    const steps = lockstep(service);
    const verifier = new DefaultVerifier({
      service: steps.service,
      logger: mockServices.logger.mock(),
      podIdentityExchange,
    });
    const { value, rounds: count } = await steps.run(() =>
      verifier.verify(request, { facts }),
    );
    return { report: value, count, byRound: steps.byRound() };
  };

  it('verifies a Pod Identity workload, live exchange included, in 4 dependent rounds', async () => {
    const { report, count, byRound } = await rounds(ledger.request, true);
    expect(report.status).toBe('pass');
    expect(count).toBe(4);
    expect(byRound).toEqual([
      [
        'eks.listPodIdentityAssociations',
        'iam.getRole',
        'kubernetes.getServiceAccount',
      ],
      [
        'cloudTrail.lookupEvents',
        'eks.describeAddon',
        'eks.describePodIdentityAssociation',
        'iam.listAttachedRolePolicies',
        'iam.listRolePolicies',
        'kubernetes.listPodsForServiceAccount',
      ],
      // The permissions and allowlist policies, each: policy, then its document.
      [
        'iam.getPolicy',
        'iam.getPolicy',
        'kubernetes.requestServiceAccountToken',
      ],
      [
        'eksAuth.assumeRoleForPodIdentity',
        'iam.getPolicyVersion',
        'iam.getPolicyVersion',
      ],
    ]);
  });

  it('verifies an IRSA workload in 4 dependent rounds', async () => {
    const s = SANDBOX_SCENARIOS.find(x => x.id === 'healthy')!;
    const { report, count } = await rounds({ ...s, trigger: 'manual' }, false);
    expect(report.status).toBe('pass');
    expect(count).toBe(4);
  });

  it('reads the default-named role beside the first reads when the entity names no role: 5 rounds, not 6', async () => {
    const { report, count, byRound } = await rounds(
      { ...ledger.request, roleArn: undefined },
      false,
    );
    expect(report.status).toBe('pass');
    expect(report.roleArn).toBe(ledger.request.roleArn);
    expect(count).toBe(5);
    expect(byRound[0]).toEqual([
      'eks.listPodIdentityAssociations',
      'iam.getRole',
      'kubernetes.getServiceAccount',
    ]);
    // The association's role is that role: no second GetRole.
    expect(byRound.flat().filter(call => call === 'iam.getRole')).toHaveLength(
      1,
    );
  });
});
