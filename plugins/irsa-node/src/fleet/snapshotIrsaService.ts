import { GatewayError, isGatewayError } from '../gateways/errors';
import type {
  AwsTarget,
  CloudTrailGateway,
  ClusterGateway,
  EksGateway,
  IamGateway,
  RoleDetail,
  RoleInfo,
} from '../gateways/types';
import type { IrsaService } from '../service/types';
import type { FleetSnapshot } from './FleetSnapshot';

/** `inner` with some methods answered by `overrides`; every other member is inner's own. */
function overriding<T extends object>(inner: T, overrides: Partial<T>): T {
  return new Proxy(inner, {
    get(target, property) {
      if (Object.hasOwn(overrides, property))
        return overrides[property as keyof T];
      const value = Reflect.get(target, property);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}

/** IAM's answer for a role, policy or provider that does not exist. */
function noSuchEntity(operation: string, what: string): GatewayError {
  return new GatewayError({
    kind: 'not-found',
    operation,
    code: 'NoSuchEntity',
    message: `${what} cannot be found`,
  });
}

// GetAccountAuthorizationDetails leaves out a role's description and
// maximum session duration; no check reads them, the duration is IAM's default.
function roleInfo({
  attachedPolicies: _a,
  inlinePolicies: _i,
  ...role
}: RoleDetail): RoleInfo {
  return { ...role, maxSessionDuration: 3600 };
}

/**
 * The service a fleet run's verifier reads through: what the snapshot holds
 * is answered from memory, exactly as the gateway would answer it (a missing
 * role is IAM's not-found); a cluster's Pod Identity associations and agent
 * are read once, by the first component that asks; everything else (a part
 * the snapshot could not read, the token request and the credential
 * exchange, which are per component) goes to the real gateways, within
 * their budgets.
 */
export function snapshotIrsaService(
  service: IrsaService,
  snapshot: FleetSnapshot,
): IrsaService {
  const { iam, eks, kubernetes, cloudTrail } = service;

  // Cluster-wide reads: the first call reads, later ones share its answer
  // (not-found is an answer; another failure is not kept).
  const shared = new Map<string, Promise<unknown>>();
  const once = <T>(key: string, read: () => Promise<T>): Promise<T> => {
    let call = shared.get(key) as Promise<T> | undefined;
    if (!call) {
      const pending = read();
      pending.catch(error => {
        if (!isGatewayError(error, 'not-found') && shared.get(key) === pending)
          shared.delete(key);
      });
      shared.set(key, pending);
      call = pending;
    }
    return call;
  };
  const keyOf = (target: AwsTarget, ...parts: string[]) =>
    [target.accountId, target.region, ...parts].join('/');

  // The role from the snapshot; undefined when its account was not read.
  const roleOf = (target: AwsTarget, roleName: string, operation: string) => {
    const account = snapshot.account(target.accountId);
    if (!account) return undefined;
    const role = account.roles.get(roleName);
    if (!role) throw noSuchEntity(operation, `The role with name ${roleName}`);
    return role;
  };
  const policyOf = (target: AwsTarget, arn: string) =>
    snapshot.account(target.accountId)?.policies.get(arn);

  const snapshotIam = overriding<IamGateway>(iam, {
    async getRole(target, roleName) {
      const role = roleOf(target, roleName, 'iam:GetRole');
      return role ? roleInfo(role) : iam.getRole(target, roleName);
    },
    async listAttachedRolePolicies(target, roleName) {
      const role = roleOf(target, roleName, 'iam:ListAttachedRolePolicies');
      return role
        ? role.attachedPolicies
        : iam.listAttachedRolePolicies(target, roleName);
    },
    async listRolePolicies(target, roleName) {
      const role = roleOf(target, roleName, 'iam:ListRolePolicies');
      return role
        ? role.inlinePolicies.map(p => p.name)
        : iam.listRolePolicies(target, roleName);
    },
    async getRolePolicy(target, roleName, policyName) {
      const operation = 'iam:GetRolePolicy';
      const role = roleOf(target, roleName, operation);
      if (!role) return iam.getRolePolicy(target, roleName, policyName);
      const policy = role.inlinePolicies.find(p => p.name === policyName);
      if (!policy)
        throw noSuchEntity(
          operation,
          `The role policy with name ${policyName}`,
        );
      return policy.document;
    },
    // A policy the snapshot lacks (it changed since) is read as usual.
    // GetAccountAuthorizationDetails carries no policy tags; the verifier
    // reads none.
    async getPolicy(target, arn) {
      const policy = policyOf(target, arn);
      if (!policy) return iam.getPolicy(target, arn);
      const { defaultDocument: _d, ...info } = policy;
      return info;
    },
    async getPolicyVersion(target, arn, versionId) {
      const policy = policyOf(target, arn);
      return policy?.defaultVersionId === versionId
        ? policy.defaultDocument
        : iam.getPolicyVersion(target, arn, versionId);
    },
    async getOidcProvider(target, arn) {
      const provider = snapshot.oidcProvider(arn);
      if (!provider) return iam.getOidcProvider(target, arn);
      if (!provider.info)
        throw noSuchEntity(
          'iam:GetOpenIDConnectProvider',
          `OpenIDConnect provider ${arn}`,
        );
      return provider.info;
    },
  });

  const snapshotKubernetes = overriding<ClusterGateway>(kubernetes, {
    async getServiceAccount(cluster, namespace, name) {
      const read = snapshot.namespace(cluster, namespace);
      return read
        ? read.serviceAccounts.get(name)
        : kubernetes.getServiceAccount(cluster, namespace, name);
    },
    getDaemonSet: (cluster, namespace, name) =>
      once(['daemon-set', cluster, namespace, name].join('/'), () =>
        kubernetes.getDaemonSet(cluster, namespace, name),
      ),
    async listPodsForServiceAccount(cluster, namespace, name, options) {
      const read = snapshot.namespace(cluster, namespace);
      return read
        ? (read.podsByServiceAccount.get(name) ?? [])
        : kubernetes.listPodsForServiceAccount(
            cluster,
            namespace,
            name,
            options,
          );
    },
  });

  const snapshotEks = overriding<EksGateway>(eks, {
    async listPodIdentityAssociations(target, clusterName, filter = {}) {
      const all = await once(keyOf(target, 'associations', clusterName), () =>
        eks.listPodIdentityAssociations(target, clusterName),
      );
      return all.filter(
        a =>
          (filter.namespace === undefined ||
            a.namespace === filter.namespace) &&
          (filter.serviceAccount === undefined ||
            a.serviceAccount === filter.serviceAccount),
      );
    },
    describeAddon: (target, clusterName, addonName) =>
      once(keyOf(target, 'addon', clusterName, addonName), () =>
        eks.describeAddon(target, clusterName, addonName),
      ),
  });

  const snapshotCloudTrail = overriding<CloudTrailGateway>(cloudTrail, {
    // A role's lookup by ResourceName: the same events, newest first.
    async lookupEvents(target, input) {
      const events =
        input.attribute?.key === 'ResourceName'
          ? snapshot.events(target)
          : undefined;
      if (!events || !input.attribute)
        return cloudTrail.lookupEvents(target, input);
      const start = input.startTime.getTime();
      const end = input.endTime?.getTime() ?? Infinity;
      return (events.get(input.attribute.value) ?? [])
        .filter(e => {
          const time = Date.parse(e.eventTime);
          return time >= start && time <= end;
        })
        .slice(0, input.maxEvents);
    },
  });

  return {
    mode: service.mode,
    clusters: service.clusters,
    facts: service.facts,
    iam: snapshotIam,
    sts: service.sts,
    eks: snapshotEks,
    eksAuth: service.eksAuth,
    network: service.network,
    cloudTrail: snapshotCloudTrail,
    policyValidation: service.policyValidation,
    kubernetes: snapshotKubernetes,
  };
}
