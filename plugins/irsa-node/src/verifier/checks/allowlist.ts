import {
  CHECK_TITLES,
  type AllowlistEntry,
  type AttachedPolicy,
} from '@backstage-irsa/plugin-irsa-common';
import type { ClusterFacts } from '../../service/types';
import { cidrContains } from '../cidr';
import type { IrsaCheck } from '../checkTypes';
import { conditionValues, isAllowlist, json } from './helpers';

/** Allowlist entries of a policy compared with the cluster's egress facts. */
export function compareAllowlist(
  policy: AttachedPolicy | undefined,
  facts: ClusterFacts,
): AllowlistEntry[] {
  const deny =
    policy?.document?.Statement.filter(s => s.Effect === 'Deny') ?? [];
  const cidrs = conditionValues(deny, 'aws:SourceIp').flatMap(c => c.values);
  const vpcs = conditionValues(deny, 'aws:SourceVpc').flatMap(c => c.values);
  const entries: AllowlistEntry[] = cidrs.map(cidr => ({
    value: cidr,
    kind: 'cidr',
    source: facts.natPublicIps.some(ip => cidrContains(cidr, ip))
      ? 'nat'
      : 'extra',
    state: 'covered',
  }));
  for (const ip of facts.natPublicIps) {
    if (!cidrs.some(cidr => cidrContains(cidr, ip))) {
      entries.push({
        value: `${ip}/32`,
        kind: 'cidr',
        source: 'nat',
        state: 'missing',
      });
    }
  }
  for (const vpc of vpcs)
    entries.push({ value: vpc, kind: 'vpc', source: 'vpc', state: 'covered' });
  if (facts.vpcId && !vpcs.includes(facts.vpcId)) {
    entries.push({
      value: facts.vpcId,
      kind: 'vpc',
      source: 'vpc',
      state: 'missing',
    });
  }
  return entries;
}

/** `allowlist`: the IP allowlist policy covers the cluster's NAT IPs and VPC. */
export const allowlistCheck: IrsaCheck = {
  id: 'allowlist',
  title: CHECK_TITLES.allowlist,
  mechanism: 'any',
  dependsOn: ['role'],
  reads: ['policies', 'facts'],
  run({ read }) {
    const facts = read('facts');
    const policy = read('policies').find(isAllowlist);
    const entries = compareAllowlist(policy, facts);
    const evidence = {
      policy: policy?.name ?? null,
      natPublicIps: facts.natPublicIps,
      natPublicIpSource: facts.natPublicIpSource,
      vpcId: facts.vpcId,
      entries: json(entries),
    };
    if (!policy) {
      return {
        status: 'fail',
        message:
          'No IP allowlist policy is attached: the credentials work from anywhere',
        evidence,
        remediation:
          'Re-run aws:irsa:create to attach the allowlist policy (a Deny on NotIpAddressIfExists aws:SourceIp and StringNotEqualsIfExists aws:SourceVpc)',
      };
    }
    const missing = entries.filter(x => x.state === 'missing');
    if (missing.length) {
      return {
        status: 'fail',
        message: `The allowlist misses ${missing.map(m => m.value).join(', ')}: calls from there are denied`,
        evidence,
        remediation: `Add ${missing.map(m => `${m.value} (${m.kind === 'vpc' ? 'aws:SourceVpc' : 'aws:SourceIp'})`).join(', ')} to ${policy.name}, or re-run aws:irsa:create`,
      };
    }
    if (facts.natPublicIpSource === 'none') {
      return {
        status: 'warn',
        message:
          'No NAT gateway IPs were found for the cluster subnets: the allowlist cannot be compared',
        evidence,
        remediation: 'Set irsa.clusters[].natPublicIps in app-config',
      };
    }
    return {
      status: 'pass',
      message: `Covers the ${facts.natPublicIps.length} NAT IPs and the VPC`,
      evidence,
    };
  },
};
