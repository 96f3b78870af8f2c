import { InputError } from '@backstage/errors';
import {
  evaluateManagedPolicy,
  type PolicyDocument,
} from '@backstage-irsa/plugin-irsa-common';
import { isGatewayError } from '../gateways/errors';
import type { AwsTarget } from '../gateways/types';
import type { IrsaCluster, IrsaService } from '../service/types';
import type { ProvisioningSettings } from './settings';

/** A gateway read whose `not-found` means "absent". */
export const orUndefined = <T>(p: Promise<T>) =>
  p.catch(error => {
    if (isGatewayError(error, 'not-found')) return undefined;
    throw error;
  });

/** A managed policy the input names, and its default version's document when it exists. */
export interface ManagedPolicyRead {
  arn: string;
  exists: boolean;
  document?: PolicyDocument;
}

/** The policy's default version's document, or `exists: false`. */
export async function readManagedPolicy(
  service: IrsaService,
  target: AwsTarget,
  arn: string,
): Promise<ManagedPolicyRead> {
  const policy = await orUndefined(service.iam.getPolicy(target, arn));
  if (!policy) return { arn, exists: false };
  const document = await service.iam.getPolicyVersion(
    target,
    arn,
    policy.defaultVersionId,
  );
  return { arn, exists: true, document };
}

/**
 * The managed-policy guardrail. Called first without documents (names,
 * accounts, the platform's allow and deny lists: no AWS call needed), then
 * with each policy's default version.
 */
export function checkManagedPolicies(
  settings: ProvisioningSettings,
  cluster: IrsaCluster,
  policies: ManagedPolicyRead[],
) {
  const missing = policies.flatMap((policy, i) =>
    policy.exists
      ? []
      : [`managedPolicyArns[${i}]: ${policy.arn} does not exist`],
  );
  if (missing.length) throw new InputError(missing.join('; '));
  const reasons = policies.flatMap((policy, i) => {
    const field = `managedPolicyArns[${i}]`;
    return evaluateManagedPolicy({
      arn: policy.arn,
      accountId: cluster.accountId,
      document: policy.document,
      field,
      options: {
        allow: settings.managedPolicies.allow,
        deny: settings.managedPolicies.deny,
        guardrails: settings.guardrails,
      },
    }).map(reason => `${field}: ${reason}`);
  });
  if (reasons.length)
    throw new InputError(
      `${reasons.join('; ')} (irsa.provisioning.managedPolicies decides which managed policies templates may attach)`,
    );
}

/** IAM Access Analyzer's ERROR and SECURITY_WARNING findings refuse the run. */
export async function analyzeDocuments(
  service: IrsaService,
  target: AwsTarget,
  documents: ReadonlyArray<
    readonly [string, PolicyDocument, 'IDENTITY_POLICY' | 'RESOURCE_POLICY']
  >,
) {
  const findings = await Promise.all(
    documents.map(async ([what, document, policyType]) =>
      (
        await service.policyValidation.validatePolicy(target, {
          document,
          policyType,
        })
      )
        .filter(
          f =>
            f.findingType === 'ERROR' || f.findingType === 'SECURITY_WARNING',
        )
        .map(
          f =>
            `${what}: ${f.findingType} ${f.issueCode} at ${f.locations.join(', ') || 'the document'}: ${f.details}`,
        ),
    ),
  );
  const blocking = findings.flat();
  if (blocking.length)
    throw new InputError(
      `IAM Access Analyzer (irsa.provisioning.accessAnalyzer) refused: ${blocking.join('; ')}`,
    );
}
