import type { Config } from '@backstage/config';
import { InputError } from '@backstage/errors';
import {
  ACCOUNT_ID_PATTERN,
  IDENTITY_MECHANISMS,
  parseOidcProviderArn,
  partitionOfRegion,
  type IdentityMechanism,
} from '@backstage-irsa/plugin-irsa-common';
import type { AwsTarget } from '../gateways/types';
import type { ClusterRegistry, IrsaCluster } from './types';

const NAME = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
const NAMESPACE_PATTERN = /^[-a-z0-9*?]{1,63}$/;
const REGION = /^[a-z]{2}(-gov)?-[a-z]+-\d$/;

function configError(key: string, rule: string): never {
  throw new InputError(`${key}: ${rule}`);
}

/** Reads and validates `irsa.clusters[]`; errors name the exact key. */
export function readClusterConfig(config: Config): IrsaCluster[] {
  const entries = config.getOptionalConfigArray('irsa.clusters') ?? [];
  const clusters = entries.map((entry, i) => {
    const key = `irsa.clusters[${i}]`;
    const name = entry.getString('name');
    if (!NAME.test(name))
      configError(`${key}.name`, `"${name}" must be a DNS-1123 label`);
    const accountId = entry.getString('accountId');
    if (!ACCOUNT_ID_PATTERN.test(accountId))
      configError(
        `${key}.accountId`,
        'must be a 12-digit AWS account id (quote it in YAML)',
      );
    const region = entry.getString('region');
    if (!REGION.test(region))
      configError(
        `${key}.region`,
        `"${region}" is not an AWS region such as eu-west-1`,
      );
    const natPublicIps = entry.getOptionalStringArray('natPublicIps');
    const oidcProviderArn = entry.getOptionalString('oidcProviderArn');
    if (oidcProviderArn)
      parseOidcProviderArn(oidcProviderArn, `${key}.oidcProviderArn`);
    const vpcId = entry.getOptionalString('vpcId');
    const namespaces = {
      allow: entry.getOptionalStringArray('namespaces.allow') ?? [],
      deny: entry.getOptionalStringArray('namespaces.deny') ?? [],
    };
    for (const [list, patterns] of Object.entries(namespaces)) {
      patterns.forEach((pattern, j) => {
        if (!NAMESPACE_PATTERN.test(pattern))
          configError(
            `${key}.namespaces.${list}[${j}]`,
            `"${pattern}" must be a namespace name or a pattern of lowercase letters, digits, "-", "*" and "?"`,
          );
      });
    }
    const defaultMechanism =
      entry.getOptionalString('defaultMechanism') ?? 'irsa';
    if (!IDENTITY_MECHANISMS.includes(defaultMechanism as IdentityMechanism))
      configError(
        `${key}.defaultMechanism`,
        `"${defaultMechanism}" must be one of ${IDENTITY_MECHANISMS.join(', ')}`,
      );
    return {
      name,
      eksClusterName: entry.getOptionalString('eksClusterName') ?? name,
      accountId,
      region,
      partition: partitionOfRegion(region),
      defaultMechanism: defaultMechanism as IdentityMechanism,
      namespaces,
      ...(natPublicIps || oidcProviderArn || vpcId
        ? { overrides: { natPublicIps, oidcProviderArn, vpcId } }
        : {}),
    };
  });
  const seen = new Set<string>();
  clusters.forEach((c, i) => {
    if (seen.has(c.name))
      configError(
        `irsa.clusters[${i}].name`,
        `"${c.name}" is configured twice`,
      );
    seen.add(c.name);
  });
  return clusters;
}

/** The configured clusters, looked up by name. */
export class StaticClusterRegistry implements ClusterRegistry {
  private readonly byName: Map<string, IrsaCluster>;

  constructor(clusters: IrsaCluster[]) {
    this.byName = new Map(clusters.map(c => [c.name, c]));
  }

  list(): IrsaCluster[] {
    return [...this.byName.values()];
  }

  get(name: string): IrsaCluster {
    const cluster = this.byName.get(name);
    if (!cluster) {
      const known = [...this.byName.keys()].join(', ') || 'none';
      throw new InputError(
        `cluster: "${name}" is not configured under irsa.clusters (configured: ${known})`,
      );
    }
    return cluster;
  }

  defaultCluster(): IrsaCluster | undefined {
    return this.byName.size === 1 ? this.list()[0] : undefined;
  }

  target(name: string): AwsTarget {
    const { accountId, region } = this.get(name);
    return { accountId, region };
  }
}
