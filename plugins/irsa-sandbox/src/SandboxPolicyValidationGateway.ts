import { iamWildcardToRegExp } from '@backstage-irsa/plugin-irsa-common';
import type {
  AwsTarget,
  PolicyFinding,
  PolicyValidationGateway,
  ValidatePolicyInput,
} from '@backstage-irsa/plugin-irsa-node';

const matchesAction = (pattern: string, value: string) =>
  iamWildcardToRegExp(pattern, { ignoreCase: true }).test(value);

// RFC 1918 ranges, which aws:SourceIp never sees.
const isPrivateIpv4 = (cidr: string) => {
  const [a, b] = cidr.split(/[./]/).map(Number);
  return (
    a === 10 || (a === 172 && b >= 16 && b <= 31) || (a === 192 && b === 168)
  );
};

/** IAM Access Analyzer of the sandbox. */
export class SandboxPolicyValidationGateway implements PolicyValidationGateway {
  /**
   * A small, deterministic subset of ValidatePolicy so the demo can show
   * findings: SECURITY_WARNING for iam:PassRole on a wildcard resource, ERROR
   * for a private range under aws:SourceIp (which only sees public addresses).
   */
  async validatePolicy(
    _target: AwsTarget,
    input: ValidatePolicyInput,
  ): Promise<PolicyFinding[]> {
    const findings: PolicyFinding[] = [];
    const listOf = <T>(value: T | T[] | undefined): T[] =>
      value === undefined ? [] : ([] as T[]).concat(value);
    const at = (base: string, value: unknown, index: number) =>
      Array.isArray(value) ? `${base}[${index}]` : base;
    listOf(input.document.Statement).forEach((statement, i) => {
      const path = `Statement[${i}]`;
      const passesRoles =
        statement.Effect === 'Allow' &&
        listOf(statement.Action).some(a => matchesAction(a, 'iam:PassRole'));
      const wildcards = listOf(statement.Resource)
        .map((resource, j) => ({ resource, j }))
        .filter(({ resource }) => resource.includes('*'));
      if (passesRoles && wildcards.length) {
        findings.push({
          findingType: 'SECURITY_WARNING',
          issueCode: 'PASS_ROLE_WITH_STAR_IN_RESOURCE',
          details:
            'iam:PassRole with a wildcard resource lets the principal pass many roles; name the role ARNs or add an iam:PassedToService condition.',
          locations: wildcards.map(({ j }) =>
            at(`${path}.Resource`, statement.Resource, j),
          ),
        });
      }
      for (const [operator, keys] of Object.entries(
        statement.Condition ?? {},
      )) {
        if (!/IpAddress/.test(operator)) continue;
        const values = keys['aws:SourceIp'];
        const privateAt = listOf(values)
          .map((value, k) => ({ value: String(value), k }))
          .filter(({ value }) => isPrivateIpv4(value));
        if (privateAt.length) {
          findings.push({
            findingType: 'ERROR',
            issueCode: 'PRIVATE_IP_ADDRESS',
            details: `aws:SourceIp only holds public addresses: ${privateAt.map(p => p.value).join(', ')} never match.`,
            locations: privateAt.map(({ k }) =>
              at(`${path}.Condition.${operator}.aws:SourceIp`, values, k),
            ),
          });
        }
      }
    });
    return findings;
  }
}
