/*
 * Fleet verification (issue 15): the scheduled run, batched, over a sandbox
 * fleet of N components on 3 accounts and 10 clusters, in simulated time.
 * Every request takes L and first waits for its API's request budget per
 * account and region (the AWS gateways' defaults: IAM 10/s, STS 20/s, EKS
 * 10/s, EC2 20/s, CloudTrail LookupEvents 2/s); Kubernetes has no budget.
 *
 * The minimum is computed from the fleet's shape alone: what any correct
 * run must read, given the APIs' page sizes. Two runs per size: the first
 * reads CloudTrail's whole lookback, the next (one interval later) only
 * what happened since. Peak memory is sampled while the runs go.
 */
import type {
  AuthService,
  BackstageCredentials,
} from '@backstage/backend-plugin-api';
import type { Entity } from '@backstage/catalog-model';
import { ConfigReader } from '@backstage/config';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import type { VerificationReport } from '@backstage-irsa/plugin-irsa-common';
import {
  CLOUDTRAIL_API,
  DefaultClusterFactsService,
  DEFAULT_VERIFIER_OPTIONS,
  EC2_API,
  EKS_API,
  FleetVerifier,
  IAM_API,
  STS_API,
  type IrsaService,
} from '@backstage-irsa/plugin-irsa-node';
import {
  createSandboxIrsaService,
  sandboxFleet,
  type SandboxFleetShape,
} from '@backstage-irsa/plugin-irsa-sandbox';
import { readIrsaBackendConfig } from '../plugins/irsa-backend/src/config';
import { FleetVerification } from '../plugins/irsa-backend/src/service/FleetVerification';
import type { ReportStore } from '../plugins/irsa-backend/src/service/ReportStore';
import type { VerificationClaims } from '../plugins/irsa-backend/src/service/VerificationClaims';
import { VerificationService } from '../plugins/irsa-backend/src/service/VerificationService';
import { silentLogger as logger } from './_support';
import {
  SimulatedNetwork,
  VirtualClock,
  type WireService,
} from './_simulation';

const LATENCY_MS = 50;
const ACCOUNTS = 3;
const CLUSTERS = 10;
const NAMESPACES = Number(process.env.BENCH_FLEET_NAMESPACES ?? 50);
const PODS = 2;
/** Each pod's SDK assumes its role about hourly: that many events per role. */
const ROLE_EVENTS_PER_HOUR = PODS;
/** Everything else the account does that CloudTrail records, per region. */
const OTHER_EVENTS_PER_HOUR = 2_000;
const SIZES = [1_000, 5_000];

// Page sizes: the APIs' (CloudTrail 50, GetAccountAuthorizationDetails
// 1,000, ListPodIdentityAssociations 100) and the Kubernetes gateway's
// list pages (500).
const PAGE = {
  cloudTrail: 50,
  authorization: 1_000,
  associations: 100,
  kubernetes: 500,
};
const pages = (items: number, size: number) =>
  Math.max(1, Math.ceil(items / size));
const SERVICES: WireService[] = [
  'iam',
  'sts',
  'eks',
  'ec2',
  'cloudtrail',
  'kubernetes',
];

const settings = readIrsaBackendConfig(new ConfigReader({}));
const INTERVAL_MS = settings.staleAfterMs;
const LOOKBACK_MS =
  DEFAULT_VERIFIER_OPTIONS.cloudTrail.lookbackMinutes * 60_000;

/** The fleet's shape: where its components, namespaces and events are. */
function shapeOf(components: number): SandboxFleetShape {
  return {
    accounts: ACCOUNTS,
    clusters: CLUSTERS,
    namespacesPerCluster: NAMESPACES,
    components,
    podsPerComponent: PODS,
    roleEventsPerComponent: ROLE_EVENTS_PER_HOUR,
    otherEventsPerRegion: OTHER_EVENTS_PER_HOUR,
  };
}

/**
 * What any correct run must read, from the shape and the page sizes only:
 * per account its roles and managed policies (two per component) in
 * GetAccountAuthorizationDetails pages; per cluster DescribeCluster, its
 * Pod Identity associations (a page; none here), its OIDC provider, and
 * the VPC's subnets, NAT gateways, route tables and endpoints (one call
 * each); per namespace its ServiceAccounts and pods; per account and region
 * the CloudTrail events of the window in pages of 50; per component a
 * TokenRequest and AssumeRoleWithWebIdentity.
 */
function minimum(shape: SandboxFleetShape, windowMs: number) {
  const { accounts, clusters, namespacesPerCluster, components } = shape;
  const place = (cluster: number) => ({
    account: cluster % accounts,
    region: Math.floor(cluster / accounts) % 2,
  });
  const perAccount = new Map<number, number>();
  const perRegion = new Map<string, number>();
  const namespaces = new Map<
    string,
    { serviceAccounts: number; pods: number }
  >();
  for (let j = 0; j < clusters; j++) {
    const { account, region } = place(j);
    perRegion.set(`${account}/${region}`, 0);
  }
  for (let i = 0; i < components; i++) {
    const j = i % clusters;
    const { account, region } = place(j);
    perAccount.set(account, (perAccount.get(account) ?? 0) + 1);
    const key = `${account}/${region}`;
    perRegion.set(key, perRegion.get(key)! + 1);
    const ns = `${j}/${Math.floor(i / clusters) % namespacesPerCluster}`;
    const n = namespaces.get(ns) ?? { serviceAccounts: 0, pods: 0 };
    n.serviceAccounts += 1;
    n.pods += shape.podsPerComponent ?? 0;
    namespaces.set(ns, n);
  }
  const hours = windowMs / 3_600_000;
  let cloudtrail = 0;
  for (const roles of perRegion.values()) {
    const events =
      hours *
      (roles * (shape.roleEventsPerComponent ?? 0) +
        (shape.otherEventsPerRegion ?? 0));
    cloudtrail += pages(Math.round(events), PAGE.cloudTrail);
  }
  let iam = clusters; // GetOpenIDConnectProvider
  for (const roles of perAccount.values())
    iam += pages(roles * 3, PAGE.authorization);
  let kubernetes = components; // TokenRequest
  for (const n of namespaces.values())
    kubernetes +=
      pages(n.serviceAccounts, PAGE.kubernetes) +
      pages(n.pods, PAGE.kubernetes);
  const result: Record<WireService, number> = {
    iam,
    sts: components,
    eks: clusters * (1 + pages(0, PAGE.associations)),
    ec2: clusters * 4,
    cloudtrail,
    kubernetes,
  };
  return result;
}

/** Reports kept as the fleet run needs them: when each entity was verified. */
class BenchReportStore implements ReportStore {
  readonly verifiedAt = new Map<string, Date>();
  readonly statuses = new Map<string, number>();

  async add(entityRef: string, report: VerificationReport) {
    this.verifiedAt.set(entityRef, new Date(report.verifiedAt));
    this.statuses.set(
      report.status,
      (this.statuses.get(report.status) ?? 0) + 1,
    );
  }
  async lastVerified(entityRefs: string[]) {
    return new Map(
      entityRefs.flatMap(ref => {
        const at = this.verifiedAt.get(ref);
        return at ? [[ref, at] as const] : [];
      }),
    );
  }
  private unused(): never {
    throw new Error('not used by a fleet run');
  }
  latest = async () => this.unused();
  history = async () => this.unused();
  purgeOlderThan = async () => this.unused();
  latestSummaries = async () => this.unused();
  latestReportsWithStatus = async () => this.unused();
}

/** One replica: every claim is granted. */
const claims: VerificationClaims = {
  claim: async () => ({ claimed: true, token: 'bench' }),
  release: async () => undefined,
  purgeIdleBefore: async () => 0,
};

const credentials: BackstageCredentials = {
  $$type: '@backstage/BackstageCredentials',
  principal: { type: 'service', subject: 'plugin:irsa' },
};
const auth = {
  getOwnServiceCredentials: async () => credentials,
} as Pick<AuthService, 'getOwnServiceCredentials'> as AuthService;

/** Peak heap and RSS, sampled every 20 ms of real time. */
function sampleMemory() {
  const peak = { heap: 0, rss: 0 };
  const sample = () => {
    const { heapUsed, rss } = process.memoryUsage();
    peak.heap = Math.max(peak.heap, heapUsed);
    peak.rss = Math.max(peak.rss, rss);
  };
  sample();
  const timer = setInterval(sample, 20);
  return {
    stop() {
      clearInterval(timer);
      sample();
      return peak;
    },
  };
}

const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(0)} MB`;

async function fleet(size: number) {
  const shape = shapeOf(size);
  const seeded = sandboxFleet(shape);
  const clock = new VirtualClock();
  const { service: sandboxService, sandbox } = await createSandboxIrsaService({
    seed: false,
    seedWith: seeded.seed,
    now: () => new Date(clock.now()),
  });
  const network = new SimulatedNetwork(clock, {
    latencyMs: LATENCY_MS,
    rates: {
      iam: IAM_API.requestsPerSecond,
      sts: STS_API.requestsPerSecond,
      eks: EKS_API.requestsPerSecond,
      ec2: EC2_API.requestsPerSecond,
      cloudtrail: CLOUDTRAIL_API.requestsPerSecond,
    },
  });
  const iam = network.wrap(sandboxService.iam, 'iam', {
    getAccountAuthorizationDetails: r => {
      const { roles, policies } = r as {
        roles: unknown[];
        policies: unknown[];
      };
      return pages(roles.length + policies.length, PAGE.authorization);
    },
  });
  const eks = network.wrap(sandboxService.eks, 'eks', {
    listPodIdentityAssociations: r =>
      pages((r as unknown[]).length, PAGE.associations),
  });
  const ec2 = network.wrap(sandboxService.network, 'ec2');
  const service: IrsaService = {
    ...sandboxService,
    iam,
    eks,
    network: ec2,
    sts: network.wrap(sandboxService.sts, 'sts'),
    cloudTrail: network.wrap(sandboxService.cloudTrail, 'cloudtrail', {
      lookupEvents: r => pages((r as unknown[]).length, PAGE.cloudTrail),
    }),
    kubernetes: network.wrap(sandboxService.kubernetes, 'kubernetes', {
      listServiceAccounts: r => pages((r as unknown[]).length, PAGE.kubernetes),
      listPods: r => pages((r as unknown[]).length, PAGE.kubernetes),
    }),
    facts: new DefaultClusterFactsService({
      iam,
      eks,
      network: ec2,
      clusters: sandboxService.clusters,
      now: clock.now,
    }),
  };

  const entities: Entity[] = seeded.components.map(c => ({
    apiVersion: 'backstage.io/v1alpha1',
    kind: 'Component',
    metadata: {
      name: c.serviceAccount,
      namespace: 'default',
      annotations: {
        'irsa.dev/cluster': c.cluster,
        'irsa.dev/service-account': `${c.namespace}/${c.serviceAccount}`,
        'irsa.dev/role-arn': c.roleArn,
      },
    },
  }));
  const store = new BenchReportStore();
  const run = new FleetVerification({
    catalog: catalogServiceMock({ entities }),
    auth,
    store,
    verification: new VerificationService({
      verifier: { verify: () => Promise.reject(new Error('targeted')) },
      store,
      claims,
      clusters: service.clusters,
      logger,
      cooldownSeconds: 30,
      now: clock.now,
    }),
    fleet: new FleetVerifier({
      service,
      logger,
      concurrency: settings.concurrency,
      now: clock.now,
    }),
    logger,
    concurrency: settings.concurrency,
    intervalMs: INTERVAL_MS,
    runTimeoutMs: settings.runTimeoutMs,
    now: clock.now,
  });

  const rows: string[] = [];
  let last = '';
  for (const [label, windowMs] of [
    ['first run (CloudTrail: the whole lookback)', LOOKBACK_MS],
    [
      'next run, one interval later (CloudTrail: since the last run)',
      INTERVAL_MS,
    ],
  ] as const) {
    if (windowMs === INTERVAL_MS) {
      clock.advance(INTERVAL_MS);
      recordInterval(sandbox, seeded.components, shape, clock.now());
    }
    network.reset();
    store.statuses.clear();
    global.gc?.();
    const before = process.memoryUsage().heapUsed;
    const memory = sampleMemory();
    const started = clock.now();
    const summary = await clock.run(() => run.run());
    const seconds = (clock.now() - started) / 1000;
    const peak = memory.stop();

    const min = minimum(shape, windowMs);
    const calls = SERVICES.reduce(
      (n, s) => n + (network.requests.get(s) ?? 0),
      0,
    );
    const total = SERVICES.reduce((n, s) => n + min[s], 0);
    rows.push(
      `\n#### ${size.toLocaleString('en-US')} components: ${label}\n`,
      `${summary.verified} verified (${[...store.statuses].map(([s, n]) => `${n} ${s}`).join(', ')}), ${summary.errors} errors; one interval ${seconds.toFixed(1)} s simulated; peak heap ${mb(peak.heap)} (${mb(before)} before the run: the sandbox's fleet and the catalog), peak RSS ${mb(peak.rss)}\n`,
      '| service | calls | minimum | ratio |',
      '|---|---|---|---|',
      ...SERVICES.map(s => {
        const c = network.requests.get(s) ?? 0;
        return `| ${s} | ${c} | ${min[s]} | ${(c / min[s]).toFixed(2)} |`;
      }),
      `| **all** | **${calls}** | **${total}** | **${(calls / total).toFixed(3)}** |`,
    );
    last = `fleet: ${size} components, ${calls} calls, ${(calls / size).toFixed(2)} calls/component, minimum ${total}, ratio ${(calls / total).toFixed(3)}, one interval ${seconds.toFixed(0)} s`;
  }
  return { rows, last };
}

/** One interval of CloudTrail activity after the seed's hour, spread evenly. */
function recordInterval(
  sandbox: Awaited<ReturnType<typeof createSandboxIrsaService>>['sandbox'],
  components: ReturnType<typeof sandboxFleet>['components'],
  shape: SandboxFleetShape,
  now: number,
) {
  const hours = INTERVAL_MS / 3_600_000;
  const at = (k: number, n: number) =>
    new Date(now - INTERVAL_MS + ((k + 0.5) * INTERVAL_MS) / n).toISOString();
  const place = new Map(sandbox.clusters.map(c => [c.name, c]));
  const regions = new Set(
    sandbox.clusters.map(c => `${c.accountId} ${c.region}`),
  );
  for (const key of regions) {
    const [accountId, region] = key.split(' ');
    const n = Math.round(hours * (shape.otherEventsPerRegion ?? 0));
    for (let k = 0; k < n; k++)
      sandbox.controls.recordCloudTrailEvent({
        accountId,
        region,
        eventName: 'DescribeInstances',
        eventSource: 'ec2.amazonaws.com',
        resourceNames: [`i-${k}`],
        eventTime: at(k, n),
      });
  }
  const perRole = Math.round(hours * (shape.roleEventsPerComponent ?? 0));
  for (const c of components) {
    const cluster = place.get(c.cluster)!;
    for (let k = 0; k < perRole; k++)
      sandbox.controls.recordCloudTrailEvent({
        accountId: cluster.accountId,
        region: cluster.region,
        eventName: 'AssumeRoleWithWebIdentity',
        eventSource: 'sts.amazonaws.com',
        resourceNames: [c.roleArn],
        eventTime: at(k, perRole),
      });
  }
}

(async () => {
  console.log(
    `\n### Fleet verification, batched (${ACCOUNTS} accounts, ${CLUSTERS} clusters, ${NAMESPACES} namespaces per cluster, ${PODS} pods per component; L = ${LATENCY_MS} ms per request, concurrency ${settings.concurrency}, simulated time)`,
  );
  console.log(
    `\nCloudTrail: ${ROLE_EVENTS_PER_HOUR} events per role and ${OTHER_EVENTS_PER_HOUR} other events per account and region each hour; lookback ${LOOKBACK_MS / 60_000} min, interval ${INTERVAL_MS / 60_000} min.`,
  );
  let last = '';
  for (const size of SIZES) {
    const result = await fleet(size);
    result.rows.forEach(row => console.log(row));
    last = result.last;
  }
  console.log(`\n${last}`);
})().catch(error => {
  console.error(error);
  process.exit(1);
});
