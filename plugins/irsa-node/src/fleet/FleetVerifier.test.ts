import { mockServices } from '@backstage/backend-test-utils';
import type { VerificationReport } from '@backstage-irsa/plugin-irsa-common';
import {
  createSandboxIrsaService,
  sandboxFleet,
  SANDBOX_SCENARIOS,
  SANDBOX_WIRING_SCENARIOS,
  type Sandbox,
} from '@backstage-irsa/plugin-irsa-sandbox';
import { GatewayError } from '../gateways/errors';
import type { VerifyRequest } from '../service/types';
import { DefaultVerifier } from '../verifier/DefaultVerifier';
import { FleetVerifier } from './FleetVerifier';

const logger = mockServices.logger.mock();

// EKS Auth names each Pod Identity session with a fresh id: two exchanges
// (two targeted runs too) differ there and nowhere else.
const SESSION_ID =
  /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{1,12}/g;

/** Every check of a report, all but how long it took (and session ids). */
const checksOf = (report: VerificationReport) =>
  JSON.parse(
    JSON.stringify(
      report.checks.map(({ durationMs: _ms, ...check }) => check),
    ).replace(SESSION_ID, '<session id>'),
  );

/** Calls per service and operation, e.g. `{ iam: { getRole: 2 } }`. */
function counted(sandbox: Sandbox) {
  const counts: Record<string, Record<string, number>> = {};
  for (const { service, operation } of sandbox.controls.calls) {
    counts[service] ??= {};
    counts[service][operation] = (counts[service][operation] ?? 0) + 1;
  }
  return counts;
}

/** The demo's seeded workloads, as the fleet run asks for them. */
const seeded: VerifyRequest[] = [
  ...SANDBOX_SCENARIOS,
  ...SANDBOX_WIRING_SCENARIOS,
].map(s => ({
  cluster: s.cluster,
  namespace: s.namespace,
  serviceAccount: s.serviceAccount,
  roleArn: s.roleArn,
  entityRef: s.entityRef,
  ...('mechanism' in s ? { mechanism: s.mechanism } : {}),
  trigger: 'schedule',
}));

/** The sandbox on a clock that stands still, so both runs see one moment. */
async function sandboxAt(now = new Date()) {
  const { service, sandbox } = await createSandboxIrsaService({
    now: () => now,
  });
  // Failed calls for two roles (newest first when read), so the cloudtrail
  // check warns and its evidence has an order to keep.
  const [first, second] = SANDBOX_SCENARIOS;
  for (const [minutesAgo, s, errorCode] of [
    [3, first, 'AccessDenied'],
    [9, first, 'NoSuchBucket'],
    [12, second, 'AccessDenied'],
    [90, second, 'AccessDenied'],
  ] as const) {
    sandbox.controls.recordCloudTrailEvent({
      region: 'us-east-1',
      eventName: 'GetBucketPolicy',
      eventSource: 's3.amazonaws.com',
      errorCode,
      resourceNames: [s.roleArn],
      eventTime: new Date(now.getTime() - minutesAgo * 60_000).toISOString(),
    });
  }
  return { service, sandbox };
}

async function verifyEach(
  verifier: { verify: DefaultVerifier['verify'] },
  requests: VerifyRequest[],
) {
  const reports: VerificationReport[] = [];
  for (const request of requests) reports.push(await verifier.verify(request));
  return reports;
}

describe('FleetVerifier', () => {
  it.each([false, true])(
    'gives every seeded workload the same checks as the targeted verifier, reading nothing per component but the exchange (podIdentityExchange: %s)',
    async podIdentityExchange => {
      const { service, sandbox } = await sandboxAt();
      const targeted = await verifyEach(
        new DefaultVerifier({ service, logger, podIdentityExchange }),
        seeded,
      );
      sandbox.controls.resetCalls();

      const batched = await verifyEach(
        await new FleetVerifier({
          service,
          logger,
          settings: { podIdentityExchange },
        }).prepare(seeded),
        seeded,
      );

      expect(batched.map(checksOf)).toEqual(targeted.map(checksOf));
      // The comparison covers passing, failing and warning checks.
      const statuses = new Set(
        batched.flatMap(r => r.checks.map(c => c.status)),
      );
      expect([...statuses].sort()).toEqual(['fail', 'pass', 'skipped', 'warn']);
      const calls = counted(sandbox);
      for (const perComponent of [
        'getRole',
        'listAttachedRolePolicies',
        'listRolePolicies',
        'getPolicy',
        'getPolicyVersion',
        'getServiceAccount',
        'listPodsForServiceAccount',
        'lookupEvents',
      ]) {
        expect(calls.iam?.[perComponent] ?? 0).toBe(0);
        expect(calls.kubernetes?.[perComponent] ?? 0).toBe(0);
      }
      expect(calls.cloudTrail).toEqual({ lookupEvents: 2 });
    },
  );

  it('reads a fleet once per account, cluster, namespace and account-region, and per component only the exchange', async () => {
    // 1 account, 2 clusters (us-east-1 and eu-west-1), 3 namespaces each.
    const fleet = sandboxFleet({
      accounts: 1,
      clusters: 2,
      namespacesPerCluster: 3,
      components: 10,
      roleEventsPerComponent: 2,
    });
    const { service, sandbox } = await createSandboxIrsaService({
      seed: false,
      seedWith: fleet.seed,
    });
    const requests = fleet.components.map(c => ({
      ...c,
      trigger: 'schedule' as const,
    }));

    const verifier = await new FleetVerifier({ service, logger }).prepare(
      requests,
    );
    const reports = await Promise.all(requests.map(r => verifier.verify(r)));

    expect(reports.map(r => r.status)).toEqual(Array(10).fill('pass'));
    expect(counted(sandbox)).toEqual({
      // The account's roles and policies; each cluster's OIDC provider.
      iam: { getAccountAuthorizationDetails: 1, getOidcProvider: 2 },
      // Per cluster: the cluster and its Pod Identity associations, then
      // its subnets (listed and tagged), NAT gateways, route tables and
      // endpoints.
      eks: { describeCluster: 2, listPodIdentityAssociations: 2 },
      network: {
        describeSubnets: 4,
        describeNatGateways: 2,
        describeRouteTables: 2,
        describeVpcEndpoints: 2,
      },
      cloudTrail: { lookupEvents: 2 },
      // 6 namespaces × (ServiceAccounts + pods); a token per component.
      kubernetes: {
        listServiceAccounts: 6,
        listPods: 6,
        requestServiceAccountToken: 10,
      },
      sts: { assumeRoleWithWebIdentity: 10 },
    });
  });

  it('reads per component what the snapshot could not read, with the same results', async () => {
    const { service, sandbox } = await sandboxAt();
    const targeted = await verifyEach(
      new DefaultVerifier({ service, logger }),
      seeded,
    );
    sandbox.controls.resetCalls();
    sandbox.controls.failNext(
      'getAccountAuthorizationDetails',
      new GatewayError({
        kind: 'throttled',
        operation: 'iam:GetAccountAuthorizationDetails',
        code: 'Throttling',
        message: 'Rate exceeded',
        requestId: 'req-1',
      }),
    );
    sandbox.controls.denyAccess('sandbox', {
      verb: 'list',
      resource: 'serviceaccounts',
      namespace: 'payments',
    });

    const batched = await verifyEach(
      await new FleetVerifier({ service, logger }).prepare(seeded),
      seeded,
    );

    expect(batched.map(checksOf)).toEqual(targeted.map(checksOf));
    expect(logger.warn).toHaveBeenCalledWith(
      'IRSA fleet snapshot: IAM of account 111122223333 not read (read per component instead): iam:GetAccountAuthorizationDetails: throttled (rate exceeded) (Throttling, request id req-1)',
    );
    const calls = counted(sandbox);
    // Each component reads its own role again, a gone one included.
    expect(calls.iam.getRole).toBe(seeded.length);
    expect(calls.kubernetes.getServiceAccount).toBe(
      seeded.filter(r => r.cluster === 'sandbox' && r.namespace === 'payments')
        .length,
    );
  });

  it('reads nothing once the run was aborted', async () => {
    const { service, sandbox } = await sandboxAt();
    sandbox.controls.resetCalls();
    const controller = new AbortController();
    controller.abort();

    await new FleetVerifier({ service, logger }).prepare(seeded, {
      signal: controller.signal,
    });

    expect(sandbox.controls.calls).toEqual([]);
  });
});
