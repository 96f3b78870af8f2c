import {
  CreatePodIdentityAssociationCommand,
  DeletePodIdentityAssociationCommand,
  DescribeAddonCommand,
  DescribeClusterCommand,
  DescribePodIdentityAssociationCommand,
  EKSClient,
  ListPodIdentityAssociationsCommand,
  TagResourceCommand,
  UntagResourceCommand,
  UpdatePodIdentityAssociationCommand,
  type PodIdentityAssociation,
} from '@aws-sdk/client-eks';
import { GatewayError } from '../errors';
import type {
  AddonInfo,
  AwsTarget,
  ClusterDescription,
  CreatePodIdentityAssociationInput,
  EksGateway,
  PodIdentityAssociationInfo,
  PodIdentityAssociationSummary,
  UpdatePodIdentityAssociationInput,
} from '../types';
import { defineAwsApi, type AwsApiClientFor } from './AwsApiClient';
import { allPages } from './allPages';

/** The EKS API as this gateway uses it: every command it may send. */
export const EKS_API = defineAwsApi({
  name: 'eks',
  requestsPerSecond: 10,
  commands: [
    DescribeClusterCommand,
    DescribeAddonCommand,
    ListPodIdentityAssociationsCommand,
    DescribePodIdentityAssociationCommand,
    CreatePodIdentityAssociationCommand,
    UpdatePodIdentityAssociationCommand,
    DeletePodIdentityAssociationCommand,
    TagResourceCommand,
    UntagResourceCommand,
  ],
  createClient: config => new EKSClient(config),
});

/** ListPodIdentityAssociations' largest page. */
const ASSOCIATIONS_PAGE_SIZE = 100;

function associationInfo(
  association: PodIdentityAssociation | undefined,
  clusterName: string,
): PodIdentityAssociationInfo {
  const a = association ?? {};
  return {
    associationId: a.associationId ?? '',
    associationArn: a.associationArn ?? '',
    clusterName: a.clusterName ?? clusterName,
    namespace: a.namespace ?? '',
    serviceAccount: a.serviceAccount ?? '',
    roleArn: a.roleArn ?? '',
    disableSessionTags: a.disableSessionTags ?? false,
    tags: { ...a.tags },
    ...(a.ownerArn ? { ownerArn: a.ownerArn } : {}),
    ...(a.targetRoleArn ? { targetRoleArn: a.targetRoleArn } : {}),
    ...(a.externalId ? { externalId: a.externalId } : {}),
    ...(a.createdAt ? { createdAt: a.createdAt.toISOString() } : {}),
    ...(a.modifiedAt ? { modifiedAt: a.modifiedAt.toISOString() } : {}),
  };
}

/** EKS refuses a TagResource or UntagResource without a tag: so does the gateway, before calling. */
function nothingToTag(operation: string, message: string): GatewayError {
  return new GatewayError({ kind: 'invalid-input', operation, message });
}

/** EKS on AWS SDK v3: a cluster's issuer and network, add-ons, Pod Identity associations and their tags. */
export class AwsEksGateway implements EksGateway {
  constructor(private readonly eks: AwsApiClientFor<typeof EKS_API>) {}

  async describeCluster(
    target: AwsTarget,
    clusterName: string,
  ): Promise<ClusterDescription> {
    const { cluster } = await this.eks.send(
      target,
      new DescribeClusterCommand({ name: clusterName }),
    );
    return {
      name: cluster?.name ?? clusterName,
      arn: cluster?.arn ?? '',
      status: cluster?.status ?? 'UNKNOWN',
      endpoint: cluster?.endpoint,
      issuerUrl: cluster?.identity?.oidc?.issuer,
      vpcId: cluster?.resourcesVpcConfig?.vpcId,
      subnetIds: cluster?.resourcesVpcConfig?.subnetIds ?? [],
    };
  }

  async describeAddon(
    target: AwsTarget,
    clusterName: string,
    addonName: string,
  ): Promise<AddonInfo> {
    const { addon } = await this.eks.send(
      target,
      new DescribeAddonCommand({ clusterName, addonName }),
    );
    return {
      name: addon?.addonName ?? addonName,
      status: addon?.status ?? 'UNKNOWN',
      ...(addon?.addonVersion ? { version: addon.addonVersion } : {}),
    };
  }

  async listPodIdentityAssociations(
    target: AwsTarget,
    clusterName: string,
    filter: { namespace?: string; serviceAccount?: string } = {},
  ): Promise<PodIdentityAssociationSummary[]> {
    return allPages(
      nextToken =>
        this.eks.send(
          target,
          new ListPodIdentityAssociationsCommand({
            clusterName,
            namespace: filter.namespace,
            serviceAccount: filter.serviceAccount,
            maxResults: ASSOCIATIONS_PAGE_SIZE,
            nextToken,
          }),
        ),
      page => ({
        items: (page.associations ?? []).map(a => ({
          associationId: a.associationId ?? '',
          associationArn: a.associationArn ?? '',
          clusterName: a.clusterName ?? clusterName,
          namespace: a.namespace ?? '',
          serviceAccount: a.serviceAccount ?? '',
          ...(a.ownerArn ? { ownerArn: a.ownerArn } : {}),
        })),
        next: page.nextToken,
      }),
    );
  }

  async describePodIdentityAssociation(
    target: AwsTarget,
    clusterName: string,
    associationId: string,
  ): Promise<PodIdentityAssociationInfo> {
    const { association } = await this.eks.send(
      target,
      new DescribePodIdentityAssociationCommand({ clusterName, associationId }),
    );
    return associationInfo(association, clusterName);
  }

  async createPodIdentityAssociation(
    target: AwsTarget,
    input: CreatePodIdentityAssociationInput,
  ): Promise<PodIdentityAssociationInfo> {
    // The SDK fills clientRequestToken, so its own retries cannot create twice.
    const { association } = await this.eks.send(
      target,
      new CreatePodIdentityAssociationCommand({
        clusterName: input.clusterName,
        namespace: input.namespace,
        serviceAccount: input.serviceAccount,
        roleArn: input.roleArn,
        targetRoleArn: input.targetRoleArn,
        disableSessionTags: input.disableSessionTags,
        tags: input.tags,
      }),
    );
    return associationInfo(association, input.clusterName);
  }

  async updatePodIdentityAssociation(
    target: AwsTarget,
    clusterName: string,
    associationId: string,
    input: UpdatePodIdentityAssociationInput,
  ): Promise<PodIdentityAssociationInfo> {
    const { roleArn, targetRoleArn, disableSessionTags } = input;
    if (
      roleArn === undefined &&
      targetRoleArn === undefined &&
      disableSessionTags === undefined
    ) {
      throw new GatewayError({
        kind: 'invalid-input',
        operation: 'eks:UpdatePodIdentityAssociation',
        message:
          'input: give at least one of roleArn, targetRoleArn, disableSessionTags',
      });
    }
    const { association } = await this.eks.send(
      target,
      new UpdatePodIdentityAssociationCommand({
        clusterName,
        associationId,
        roleArn,
        targetRoleArn,
        disableSessionTags,
      }),
    );
    return associationInfo(association, clusterName);
  }

  async deletePodIdentityAssociation(
    target: AwsTarget,
    clusterName: string,
    associationId: string,
  ): Promise<void> {
    await this.eks.send(
      target,
      new DeletePodIdentityAssociationCommand({ clusterName, associationId }),
    );
  }

  async tagResource(
    target: AwsTarget,
    resourceArn: string,
    tags: Record<string, string>,
  ): Promise<void> {
    if (!Object.keys(tags).length)
      throw nothingToTag('eks:TagResource', 'tags: give at least one tag');
    await this.eks.send(target, new TagResourceCommand({ resourceArn, tags }));
  }

  async untagResource(
    target: AwsTarget,
    resourceArn: string,
    keys: string[],
  ): Promise<void> {
    if (!keys.length)
      throw nothingToTag(
        'eks:UntagResource',
        'keys: give at least one tag key',
      );
    await this.eks.send(
      target,
      new UntagResourceCommand({ resourceArn, tagKeys: keys }),
    );
  }
}
