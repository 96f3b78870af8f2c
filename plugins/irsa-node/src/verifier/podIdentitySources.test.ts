import { GatewayError } from '../gateways/errors';
import type { AddonInfo, DaemonSetInfo, PodInfo } from '../gateways/types';
import type { IrsaService } from '../service/types';
import {
  exchangePod,
  readAgent,
  type PodIdentityScope,
} from './podIdentitySources';
import {
  container,
  irsaEnv,
  pod,
  podIdentityEnv,
} from './checks/__testUtils__/evidence';

const notFound = new GatewayError({
  kind: 'not-found',
  operation: 'eks:DescribeAddon',
  code: 'ResourceNotFoundException',
  message: 'No addon: eks-pod-identity-agent found in cluster: prod',
});
const DAEMON_SET: DaemonSetInfo = {
  namespace: 'kube-system',
  name: 'eks-pod-identity-agent',
  desiredNumberScheduled: 2,
  numberReady: 2,
};

/** A scope whose EKS answers DescribeAddon with `addon` and whose cluster has `daemonSet`. */
function scope(
  addon: AddonInfo | GatewayError,
  daemonSet?: DaemonSetInfo,
): { scope: PodIdentityScope; asked: string[] } {
  const asked: string[] = [];
  const service = {
    eks: {
      describeAddon: async (
        _target: unknown,
        cluster: string,
        name: string,
      ) => {
        asked.push(`describeAddon ${cluster} ${name}`);
        if (addon instanceof GatewayError) throw addon;
        return addon;
      },
    },
    kubernetes: {
      getDaemonSet: async (
        cluster: string,
        namespace: string,
        name: string,
      ) => {
        asked.push(`getDaemonSet ${cluster} ${namespace}/${name}`);
        return daemonSet;
      },
    },
  } as unknown as IrsaService;
  return {
    asked,
    scope: {
      service,
      target: { accountId: '111122223333', region: 'eu-west-1' },
      cluster: 'prod',
      eksClusterName: 'prod-eks',
      namespace: 'payments',
      serviceAccount: 'payments-api',
      timeoutMs: 1000,
    },
  };
}

describe('readAgent', () => {
  it('is the add-on when EKS has it, without looking for a DaemonSet', async () => {
    const addon = { name: 'eks-pod-identity-agent', status: 'ACTIVE' };
    const { scope: s, asked } = scope(addon, DAEMON_SET);
    expect(await readAgent(s)).toMatchObject({
      ok: true,
      value: { kind: 'addon', addon },
    });
    expect(asked).toEqual(['describeAddon prod-eks eks-pod-identity-agent']);
  });

  it('falls back to the self-managed DaemonSet in kube-system', async () => {
    const { scope: s, asked } = scope(notFound, DAEMON_SET);
    expect(await readAgent(s)).toMatchObject({
      ok: true,
      value: { kind: 'daemon-set', daemonSet: DAEMON_SET },
    });
    expect(asked).toEqual([
      'describeAddon prod-eks eks-pod-identity-agent',
      'getDaemonSet prod kube-system/eks-pod-identity-agent',
    ]);
  });

  it('is none when neither exists', async () => {
    const { scope: s } = scope(notFound);
    expect(await readAgent(s)).toMatchObject({
      ok: true,
      value: { kind: 'none' },
    });
  });

  it('is unreadable when DescribeAddon fails otherwise, and never guesses', async () => {
    const denied = new GatewayError({
      kind: 'access-denied',
      operation: 'eks:DescribeAddon',
      code: 'AccessDeniedException',
      message:
        'User: arn:aws:sts::111122223333:assumed-role/backstage is not authorized',
    });
    const { scope: s, asked } = scope(denied, DAEMON_SET);
    expect(await readAgent(s)).toMatchObject({
      ok: false,
      reason:
        "Pod Identity agent failed: eks:DescribeAddon: access denied to Backstage's identity (AccessDeniedException)",
    });
    expect(asked).toHaveLength(1);
  });
});

describe('exchangePod', () => {
  const running = (
    name: string,
    env: Record<string, string>,
    more: Partial<PodInfo> = {},
  ) => pod(name, [container(env)], more);

  it('binds the token to a running pod that has the Pod Identity variables', () => {
    expect(
      exchangePod([
        running('old', irsaEnv()),
        running('pending', podIdentityEnv(), { phase: 'Pending' }),
        running('fargate', podIdentityEnv(), { fargate: true }),
        running('wired', podIdentityEnv()),
      ])?.name,
    ).toBe('wired');
  });

  it('takes any running pod where the agent runs when none has them yet, and none elsewhere', () => {
    expect(exchangePod([running('old', irsaEnv())])?.name).toBe('old');
    expect(
      exchangePod([running('windows', podIdentityEnv(), { os: 'windows' })]),
    ).toBeUndefined();
  });
});
