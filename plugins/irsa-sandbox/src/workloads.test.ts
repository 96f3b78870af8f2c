import { createSandbox, SANDBOX_SCENARIOS, type Sandbox } from '.';

const restartNeeded = SANDBOX_SCENARIOS.find(
  s => s.id === 'pods-before-annotation',
)!;

describe('sandbox workloads: pod owners and rollout restart', () => {
  let sandbox: Sandbox;
  beforeEach(async () => {
    sandbox = await createSandbox({
      now: () => new Date('2026-11-27T10:00:00.000Z'),
    });
  });

  const podsOf = (serviceAccount: string, namespace = 'shop') =>
    sandbox.kubernetes.listPodsForServiceAccount(
      'sandbox',
      namespace,
      serviceAccount,
    );

  it('owns seeded pods by a Deployment named after the ServiceAccount, through a ReplicaSet', async () => {
    const { cluster, namespace, serviceAccount } = restartNeeded;
    expect(
      await sandbox.kubernetes.resolvePodOwners(cluster, namespace, [
        'billing-api-6c4b9-7d9f8',
        'billing-api-6c4b9-k2x4q',
        'billing-api-6c4b9-gone1',
      ]),
    ).toEqual([
      {
        pod: 'billing-api-6c4b9-7d9f8',
        found: true,
        serviceAccountName: serviceAccount,
        owner: { kind: 'Deployment', name: 'billing-api' },
      },
      {
        pod: 'billing-api-6c4b9-k2x4q',
        found: true,
        serviceAccountName: serviceAccount,
        owner: { kind: 'Deployment', name: 'billing-api' },
      },
      { pod: 'billing-api-6c4b9-gone1', found: false },
    ]);
  });

  it('resolves StatefulSet, DaemonSet, Job and bare pods', async () => {
    const start = (
      name: string,
      owner: Parameters<Sandbox['controls']['createPod']>[2]['owner'],
    ) =>
      sandbox.controls.createPod('sandbox', 'shop', {
        name,
        serviceAccountName: 'cart',
        owner,
      });
    start('db-0', { kind: 'StatefulSet', name: 'db' });
    start('agent-x7k2p', { kind: 'DaemonSet', name: 'agent' });
    start('migrate-5qv8n', { kind: 'Job', name: 'migrate' });
    start('debug', null);
    expect(
      await sandbox.kubernetes.resolvePodOwners('sandbox', 'shop', [
        'db-0',
        'agent-x7k2p',
        'migrate-5qv8n',
        'debug',
      ]),
    ).toEqual([
      {
        pod: 'db-0',
        found: true,
        serviceAccountName: 'cart',
        owner: { kind: 'StatefulSet', name: 'db' },
      },
      {
        pod: 'agent-x7k2p',
        found: true,
        serviceAccountName: 'cart',
        owner: { kind: 'DaemonSet', name: 'agent' },
      },
      {
        pod: 'migrate-5qv8n',
        found: true,
        serviceAccountName: 'cart',
        owner: { kind: 'Job', name: 'migrate' },
      },
      { pod: 'debug', found: true, serviceAccountName: 'cart' },
    ]);
  });

  it('restarts a Deployment: its pods come back from a new ReplicaSet with the credentials injected, others stay', async () => {
    const { cluster, namespace, serviceAccount, roleArn } = restartNeeded;
    sandbox.controls.createPod(cluster, namespace, {
      name: 'billing-worker-0',
      serviceAccountName: serviceAccount,
      owner: { kind: 'StatefulSet', name: 'billing-worker' },
    });
    const before = await sandbox.kubernetes.listPodsForServiceAccount(
      cluster,
      namespace,
      serviceAccount,
    );
    expect(before.map(p => p.containers[0].env.AWS_ROLE_ARN)).toEqual([
      undefined,
      undefined,
      roleArn,
    ]);
    sandbox.controls.resetCalls();

    expect(
      await sandbox.kubernetes.restartWorkload(cluster, namespace, {
        kind: 'Deployment',
        name: 'billing-api',
      }),
    ).toEqual({ restartedAt: '2026-11-27T10:00:00.000Z' });

    const after = await sandbox.kubernetes.listPodsForServiceAccount(
      cluster,
      namespace,
      serviceAccount,
    );
    expect(after).toHaveLength(3);
    expect(after[0]).toEqual(before[2]);
    const restarted = after.slice(1);
    expect(restarted.map(p => p.containers[0].env.AWS_ROLE_ARN)).toEqual([
      roleArn,
      roleArn,
    ]);
    const replicaSet = restarted[0].name.replace(/-[a-z0-9]{5}$/, '');
    expect(replicaSet).toMatch(/^billing-api-[a-z0-9]{5}$/);
    expect(replicaSet).not.toBe('billing-api-6c4b9');
    expect(restarted[1].name.startsWith(`${replicaSet}-`)).toBe(true);
    expect(
      await sandbox.kubernetes.resolvePodOwners(
        cluster,
        namespace,
        restarted.map(p => p.name),
      ),
    ).toEqual(
      restarted.map(p => ({
        pod: p.name,
        found: true,
        serviceAccountName: serviceAccount,
        owner: { kind: 'Deployment', name: 'billing-api' },
      })),
    );
    expect(
      sandbox.controls.calls
        .filter(c => c.write)
        .map(c => `${c.service}.${c.operation}`),
    ).toEqual(['kubernetes.restartWorkload']);
  });

  it('restarts a StatefulSet in place: same pod names, new pods', async () => {
    sandbox.controls.createPod('sandbox', 'shop', {
      name: 'db-0',
      serviceAccountName: 'cart',
      owner: { kind: 'StatefulSet', name: 'db' },
    });
    const [before] = await podsOf('cart');
    await sandbox.kubernetes.restartWorkload('sandbox', 'shop', {
      kind: 'StatefulSet',
      name: 'db',
    });
    const [after] = await podsOf('cart');
    expect(after.name).toBe('db-0');
    expect(after.uid).not.toBe(before.uid);
  });

  it('refuses a Job, an unknown workload, and a patch RBAC denies', async () => {
    sandbox.controls.createPod('sandbox', 'shop', {
      name: 'migrate-5qv8n',
      serviceAccountName: 'cart',
      owner: { kind: 'Job', name: 'migrate' },
    });
    await expect(
      sandbox.kubernetes.restartWorkload('sandbox', 'shop', {
        kind: 'Job',
        name: 'migrate',
      }),
    ).rejects.toMatchObject({
      kind: 'invalid-input',
      message:
        'k8s:patch jobs: kind: a Job cannot be restarted; only a Deployment, StatefulSet or DaemonSet',
    });
    await expect(
      sandbox.kubernetes.restartWorkload('sandbox', 'shop', {
        kind: 'Deployment',
        name: 'nope',
      }),
    ).rejects.toMatchObject({
      kind: 'not-found',
      message: 'k8s:patch deployments: deployments.apps "nope" not found',
    });
    const { cluster, namespace } = restartNeeded;
    sandbox.controls.denyAccess(cluster, {
      verb: 'patch',
      resource: 'deployments',
      group: 'apps',
      namespace,
    });
    const before = await podsOf(restartNeeded.serviceAccount, namespace);
    await expect(
      sandbox.kubernetes.restartWorkload(cluster, namespace, {
        kind: 'Deployment',
        name: 'billing-api',
      }),
    ).rejects.toMatchObject({
      kind: 'access-denied',
      message:
        'k8s:patch deployments: deployments "billing-api" is forbidden: User "system:serviceaccount:backstage:backstage" cannot patch resource "deployments" in API group "apps" in the namespace "billing"',
    });
    expect(await podsOf(restartNeeded.serviceAccount, namespace)).toEqual(
      before,
    );
  });

  it('applies RBAC to owner reads: pods get and replicasets get', async () => {
    const { cluster, namespace } = restartNeeded;
    sandbox.controls.denyAccess(cluster, {
      verb: 'get',
      resource: 'replicasets',
      group: 'apps',
    });
    await expect(
      sandbox.kubernetes.resolvePodOwners(cluster, namespace, [
        'billing-api-6c4b9-7d9f8',
      ]),
    ).rejects.toMatchObject({ kind: 'access-denied' });
    sandbox.controls.denyAccess(cluster, { verb: 'get', resource: 'pods' });
    await expect(
      sandbox.kubernetes.resolvePodOwners(cluster, namespace, ['any']),
    ).rejects.toMatchObject({
      kind: 'access-denied',
      operation: 'k8s:get pods',
    });
  });
});
