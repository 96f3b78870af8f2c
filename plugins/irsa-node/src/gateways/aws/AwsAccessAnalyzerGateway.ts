import {
  AccessAnalyzerClient,
  ValidatePolicyCommand,
  type PathElement,
  type ValidatePolicyFinding,
} from '@aws-sdk/client-accessanalyzer';
import type {
  AwsTarget,
  PolicyFinding,
  PolicyValidationGateway,
  ValidatePolicyInput,
} from '../types';
import { defineAwsApi, type AwsApiClientFor } from './AwsApiClient';
import { allPages } from './allPages';

/** The Access Analyzer API as this gateway uses it: every command it may send. */
export const ACCESS_ANALYZER_API = defineAwsApi({
  name: 'accessanalyzer',
  actionPrefix: 'access-analyzer',
  // ValidatePolicy is a control-plane call with a low default quota.
  requestsPerSecond: 5,
  commands: [ValidatePolicyCommand],
  createClient: config => new AccessAnalyzerClient(config),
});

/** A page cap, so an endpoint that repeats its token cannot loop forever. */
const MAX_VALIDATE_POLICY_PAGES = 50;

const FINDING_TYPES: ReadonlyArray<PolicyFinding['findingType']> = [
  'ERROR',
  'SECURITY_WARNING',
  'SUGGESTION',
  'WARNING',
];

// Access Analyzer's path elements as a path a reader can follow:
// [{value: 'Statement'}, {index: 0}, {value: 'Action'}, {index: 1}] is
// Statement[0].Action[1]; a substring adds the characters it spans.
function locationPath(path: PathElement[] | undefined): string {
  return (path ?? []).reduce((text, element) => {
    if (element.index !== undefined) return `${text}[${element.index}]`;
    const name = element.key ?? element.value;
    if (name !== undefined) return text ? `${text}.${name}` : name;
    if (element.substring) {
      const start = element.substring.start ?? 0;
      const end = start + (element.substring.length ?? 0);
      return `${text} (characters ${start}-${end})`;
    }
    return text;
  }, '');
}

function policyFinding(finding: ValidatePolicyFinding): PolicyFinding {
  const type = FINDING_TYPES.find(t => t === finding.findingType);
  return {
    // A type this SDK does not know yet is shown, never dropped.
    findingType: type ?? 'WARNING',
    issueCode: finding.issueCode ?? '',
    details: finding.findingDetails ?? '',
    locations: (finding.locations ?? [])
      .map(location => locationPath(location.path))
      .filter(path => path !== ''),
  };
}

/** IAM Access Analyzer on AWS SDK v3: ValidatePolicy's findings for a document. */
export class AwsAccessAnalyzerGateway implements PolicyValidationGateway {
  constructor(
    private readonly analyzer: AwsApiClientFor<typeof ACCESS_ANALYZER_API>,
  ) {}

  async validatePolicy(
    target: AwsTarget,
    input: ValidatePolicyInput,
  ): Promise<PolicyFinding[]> {
    return allPages(
      nextToken =>
        this.analyzer.send(
          target,
          new ValidatePolicyCommand({
            policyDocument: JSON.stringify(input.document),
            policyType: input.policyType,
            ...(nextToken ? { nextToken } : {}),
          }),
        ),
      page => ({
        items: (page.findings ?? []).map(policyFinding),
        next: page.nextToken,
      }),
      { maxPages: MAX_VALIDATE_POLICY_PAGES },
    );
  }
}
