import { randomBytes, randomUUID } from 'node:crypto';
import {
  isRoleArn,
  POD_IDENTITY_SERVICE_PRINCIPAL,
} from '@backstage-irsa/plugin-irsa-common';
import type {
  AddonInfo,
  AwsTarget,
  ClusterDescription,
  CreatePodIdentityAssociationInput,
  EksGateway,
  PodIdentityAssociationInfo,
  PodIdentityAssociationSummary,
  UpdatePodIdentityAssociationInput,
} from '@backstage-irsa/plugin-irsa-node';
import {
  associationFor,
  clone,
  sandboxError,
  type SandboxCluster,
  SandboxState,
} from './state';

const ID_ALPHABET = 'abcdefghijklmnopqrstuvwxyz0123456789';
/** EKS allows at most 50 tags on a resource. */
const MAX_TAGS = 50;

/** `a-` and 17 lowercase alphanumerics, like EKS's association ids. */
function newAssociationId(): string {
  return `a-${[...randomBytes(17)].map(b => ID_ALPHABET[b % ID_ALPHABET.length]).join('')}`;
}

const summary = (
  a: PodIdentityAssociationInfo,
): PodIdentityAssociationSummary => ({
  associationId: a.associationId,
  associationArn: a.associationArn,
  clusterName: a.clusterName,
  namespace: a.namespace,
  serviceAccount: a.serviceAccount,
  ...(a.ownerArn ? { ownerArn: a.ownerArn } : {}),
});

/**
 * EKS of the sandbox: its clusters' issuers and networks, add-ons, and Pod
 * Identity associations (and their tags, by ARN) validated as EKS validates
 * them.
 */
export class SandboxEksGateway implements EksGateway {
  constructor(private readonly state: SandboxState) {}

  private cluster(
    target: AwsTarget,
    name: string,
    operation: string,
  ): SandboxCluster {
    const cluster = this.state.clustersIn(target).find(c => c.name === name);
    if (!cluster) {
      throw sandboxError(
        'not-found',
        operation,
        'ResourceNotFoundException',
        `No cluster found for name: ${name}.`,
      );
    }
    return cluster;
  }

  private association(
    cluster: SandboxCluster,
    associationId: string,
    operation: string,
  ): PodIdentityAssociationInfo {
    const association = cluster.associations.get(associationId);
    if (!association) {
      throw sandboxError(
        'not-found',
        operation,
        'ResourceNotFoundException',
        `No Pod Identity Association found for id: ${associationId}.`,
      );
    }
    return association;
  }

  /**
   * What EKS checks of a role before it associates it: an IAM role ARN, a
   * role that exists in the cluster's account, and a trust policy that
   * names the Pod Identity service principal.
   */
  private validateRole(
    cluster: SandboxCluster,
    field: string,
    arn: string,
    operation: string,
  ): void {
    const invalid = (message: string) =>
      sandboxError(
        'invalid-input',
        operation,
        'InvalidParameterException',
        message,
      );
    if (!isRoleArn(arn)) {
      throw invalid(
        `${field}: ${JSON.stringify(arn.slice(0, 120))} is not an IAM role ARN (arn:aws:iam::ACCOUNT:role/NAME)`,
      );
    }
    const [, , , , accountId, resource] = arn.split(':');
    const role = this.state
      .account(accountId)
      .roles.get(resource.split('/').pop()!);
    if (accountId !== cluster.accountId || !role || role.info.arn !== arn) {
      throw invalid('Role provided in the request does not exist');
    }
    const trustsPods = role.info.trustPolicy.Statement.some(s => {
      if (s.Effect !== 'Allow') return false;
      if (s.Principal === '*') return true;
      const service = s.Principal?.Service;
      return (Array.isArray(service) ? service : [service]).includes(
        POD_IDENTITY_SERVICE_PRINCIPAL,
      );
    });
    if (!trustsPods) {
      throw invalid('Trust policy of the role provided is invalid');
    }
  }

  private validateTargetRole(arn: string, operation: string): void {
    if (!isRoleArn(arn)) {
      throw sandboxError(
        'invalid-input',
        operation,
        'InvalidParameterException',
        `targetRoleArn: ${JSON.stringify(arn.slice(0, 120))} is not an IAM role ARN (arn:aws:iam::ACCOUNT:role/NAME)`,
      );
    }
  }

  async describeCluster(
    target: AwsTarget,
    clusterName: string,
  ): Promise<ClusterDescription> {
    const cluster = this.cluster(target, clusterName, 'eks:DescribeCluster');
    return {
      name: cluster.name,
      arn: cluster.arn,
      status: 'ACTIVE',
      endpoint: `https://${cluster.name}.sandbox.invalid`,
      issuerUrl: `https://${cluster.issuer}`,
      vpcId: cluster.vpcId,
      subnetIds: [...cluster.clusterSubnetIds],
    };
  }

  async describeAddon(
    target: AwsTarget,
    clusterName: string,
    addonName: string,
  ): Promise<AddonInfo> {
    const operation = 'eks:DescribeAddon';
    const addon = this.cluster(target, clusterName, operation).addons.get(
      addonName,
    );
    if (!addon) {
      throw sandboxError(
        'not-found',
        operation,
        'ResourceNotFoundException',
        `No addon: ${addonName} found in cluster: ${clusterName}`,
      );
    }
    return clone(addon);
  }

  async listPodIdentityAssociations(
    target: AwsTarget,
    clusterName: string,
    filter: { namespace?: string; serviceAccount?: string } = {},
  ): Promise<PodIdentityAssociationSummary[]> {
    const cluster = this.cluster(
      target,
      clusterName,
      'eks:ListPodIdentityAssociations',
    );
    return [...cluster.associations.values()]
      .filter(
        a =>
          (filter.namespace === undefined ||
            a.namespace === filter.namespace) &&
          (filter.serviceAccount === undefined ||
            a.serviceAccount === filter.serviceAccount),
      )
      .map(summary);
  }

  async describePodIdentityAssociation(
    target: AwsTarget,
    clusterName: string,
    associationId: string,
  ): Promise<PodIdentityAssociationInfo> {
    const operation = 'eks:DescribePodIdentityAssociation';
    const cluster = this.cluster(target, clusterName, operation);
    return clone(this.association(cluster, associationId, operation));
  }

  async createPodIdentityAssociation(
    target: AwsTarget,
    input: CreatePodIdentityAssociationInput,
  ): Promise<PodIdentityAssociationInfo> {
    const operation = 'eks:CreatePodIdentityAssociation';
    const cluster = this.cluster(target, input.clusterName, operation);
    for (const field of ['namespace', 'serviceAccount'] as const) {
      if (!input[field]) {
        throw sandboxError(
          'invalid-input',
          operation,
          'InvalidParameterException',
          `${field}: must not be empty`,
        );
      }
    }
    if (Object.keys(input.tags).length > MAX_TAGS) {
      throw sandboxError(
        'invalid-input',
        operation,
        'InvalidParameterException',
        `tags: at most ${MAX_TAGS} tags, got ${Object.keys(input.tags).length}`,
      );
    }
    if (input.targetRoleArn)
      this.validateTargetRole(input.targetRoleArn, operation);
    this.validateRole(cluster, 'roleArn', input.roleArn, operation);
    const existing = associationFor(
      cluster,
      input.namespace,
      input.serviceAccount,
    );
    if (existing) {
      throw sandboxError(
        'already-exists',
        operation,
        'ResourceInUseException',
        `Association already exists: ${existing.associationId}`,
      );
    }
    const associationId = newAssociationId();
    const now = this.state.isoNow();
    const association: PodIdentityAssociationInfo = {
      associationId,
      associationArn: `arn:aws:eks:${cluster.region}:${cluster.accountId}:podidentityassociation/${cluster.name}/${associationId}`,
      clusterName: cluster.name,
      namespace: input.namespace,
      serviceAccount: input.serviceAccount,
      roleArn: input.roleArn,
      // EKS makes up the external id the target role's trust must require.
      ...(input.targetRoleArn
        ? { targetRoleArn: input.targetRoleArn, externalId: randomUUID() }
        : {}),
      disableSessionTags: input.disableSessionTags ?? false,
      tags: { ...input.tags },
      createdAt: now,
      modifiedAt: now,
    };
    cluster.associations.set(associationId, association);
    return clone(association);
  }

  async updatePodIdentityAssociation(
    target: AwsTarget,
    clusterName: string,
    associationId: string,
    input: UpdatePodIdentityAssociationInput,
  ): Promise<PodIdentityAssociationInfo> {
    const operation = 'eks:UpdatePodIdentityAssociation';
    const cluster = this.cluster(target, clusterName, operation);
    const association = this.association(cluster, associationId, operation);
    if (input.targetRoleArn)
      this.validateTargetRole(input.targetRoleArn, operation);
    if (input.roleArn !== undefined)
      this.validateRole(cluster, 'roleArn', input.roleArn, operation);
    if (input.roleArn !== undefined) association.roleArn = input.roleArn;
    if (input.targetRoleArn === '') {
      delete association.targetRoleArn;
      delete association.externalId;
    } else if (input.targetRoleArn !== undefined) {
      association.targetRoleArn = input.targetRoleArn;
      association.externalId ??= randomUUID();
    }
    if (input.disableSessionTags !== undefined)
      association.disableSessionTags = input.disableSessionTags;
    association.modifiedAt = this.state.isoNow();
    return clone(association);
  }

  async deletePodIdentityAssociation(
    target: AwsTarget,
    clusterName: string,
    associationId: string,
  ): Promise<void> {
    const operation = 'eks:DeletePodIdentityAssociation';
    const cluster = this.cluster(target, clusterName, operation);
    this.association(cluster, associationId, operation);
    cluster.associations.delete(associationId);
  }

  /** The association an ARN names in this account and region; EKS's NotFoundException otherwise. */
  private taggable(
    target: AwsTarget,
    resourceArn: string,
    operation: string,
  ): PodIdentityAssociationInfo {
    const association = this.state
      .clustersIn(target)
      .flatMap(c => [...c.associations.values()])
      .find(a => a.associationArn === resourceArn);
    if (!association) {
      throw sandboxError(
        'not-found',
        operation,
        'NotFoundException',
        `Resource ${resourceArn.slice(0, 200)} not found`,
      );
    }
    return association;
  }

  async tagResource(
    target: AwsTarget,
    resourceArn: string,
    tags: Record<string, string>,
  ): Promise<void> {
    const operation = 'eks:TagResource';
    const invalid = (message: string) =>
      sandboxError('invalid-input', operation, 'BadRequestException', message);
    const keys = Object.keys(tags);
    if (!keys.length) throw invalid('tags: give at least one tag');
    if (keys.some(k => k.toLowerCase().startsWith('aws:')))
      throw invalid('tags: keys starting with aws: are reserved for AWS');
    const association = this.taggable(target, resourceArn, operation);
    const merged = { ...association.tags, ...tags };
    if (Object.keys(merged).length > MAX_TAGS)
      throw invalid(
        `tags: at most ${MAX_TAGS} tags per resource, would be ${Object.keys(merged).length}`,
      );
    association.tags = merged;
  }

  async untagResource(
    target: AwsTarget,
    resourceArn: string,
    keys: string[],
  ): Promise<void> {
    const operation = 'eks:UntagResource';
    if (!keys.length)
      throw sandboxError(
        'invalid-input',
        operation,
        'BadRequestException',
        'keys: give at least one tag key',
      );
    const association = this.taggable(target, resourceArn, operation);
    // Like EKS, a key the resource does not carry is no error.
    for (const key of keys) delete association.tags[key];
  }
}
