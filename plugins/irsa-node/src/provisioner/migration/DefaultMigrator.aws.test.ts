import {
  AccessDeniedException,
  CreatePodIdentityAssociationCommand,
  DeletePodIdentityAssociationCommand,
  DescribeAddonCommand,
  DescribePodIdentityAssociationCommand,
  EKSClient,
  ListPodIdentityAssociationsCommand,
} from '@aws-sdk/client-eks';
import {
  GetAccountSummaryCommand,
  GetRoleCommand,
  IAMClient,
  UpdateAssumeRolePolicyCommand,
} from '@aws-sdk/client-iam';
import { mockServices } from '@backstage/backend-test-utils';
import { ConfigReader } from '@backstage/config';
import {
  ANNOTATION_IRSA_MIGRATING_TO,
  buildPodIdentityTrustStatement,
  buildTrustPolicy,
  type PolicyDocument,
} from '@backstage-irsa/plugin-irsa-common';
import { createSandboxIrsaService } from '@backstage-irsa/plugin-irsa-sandbox';
import { mockClient } from 'aws-sdk-client-mock';
import { createAwsGatewaysFromOptions } from '../../gateways/aws';
import type { IrsaService } from '../../service/types';
import { ProvisionError } from '../ApplyRun';
import { DefaultMigrator } from './DefaultMigrator';

/*
 * The migration on the real AWS gateways (IAM and EKS answered by
 * aws-sdk-client-mock, exact command inputs asserted) with the sandbox's
 * Kubernetes API server and its seeded IRSA workload payments/payments-api.
 */

const cluster = 'sandbox';
const namespace = 'payments';
const serviceAccount = 'payments-api';
const entityRef = 'component:default/payments-api';
const roleName = 'irsa-sandbox-payments-payments-api';
const roleArn = `arn:aws:iam::111122223333:role/${roleName}`;
const associationId = 'a-0123456789abcdefg';
const tags = {
  'irsa.dev/managed-by': 'backstage-irsa',
  'irsa.dev/entity-ref': entityRef,
  'irsa.dev/owner': 'group:default/guests',
  'irsa.dev/cluster': cluster,
  'irsa.dev/service-account': `${namespace}/${serviceAccount}`,
};
const podIdentity = buildPodIdentityTrustStatement({
  partition: 'aws',
  accountId: '111122223333',
  region: 'us-east-1',
  clusterName: cluster,
  namespace,
  serviceAccount,
});

describe('DefaultMigrator on the real IAM and EKS gateways (aws-sdk-client-mock)', () => {
  const iam = mockClient(IAMClient);
  const eks = mockClient(EKSClient);
  beforeEach(() => {
    iam.reset();
    eks.reset();
  });

  /** IAM's and EKS's answers for a role with this trust and, maybe, an association. */
  async function setup(trust: (web: PolicyDocument) => PolicyDocument) {
    const { service: sandboxService, sandbox } =
      await createSandboxIrsaService();
    const facts = await sandboxService.facts.get(cluster);
    const webIdentity = buildTrustPolicy({
      oidcProviderArn: facts.oidcProviderArn,
      issuer: facts.issuer,
      namespace,
      serviceAccount,
    }).document;
    const original = trust(webIdentity);
    iam.on(GetRoleCommand).resolves({
      Role: {
        RoleName: roleName,
        Arn: roleArn,
        Path: '/',
        RoleId: 'AROAEXAMPLE',
        CreateDate: new Date(0),
        AssumeRolePolicyDocument: encodeURIComponent(JSON.stringify(original)),
        Tags: Object.entries(tags).map(([Key, Value]) => ({ Key, Value })),
      },
    });
    iam.on(GetAccountSummaryCommand).resolves({
      SummaryMap: { AssumeRolePolicySizeQuota: 2048 },
    });
    iam.on(UpdateAssumeRolePolicyCommand).resolves({});
    eks.on(DescribeAddonCommand).resolves({
      addon: {
        addonName: 'eks-pod-identity-agent',
        status: 'ACTIVE',
        addonVersion: 'v1.3.8-eksbuild.2',
      },
    });
    eks.on(ListPodIdentityAssociationsCommand).resolves({ associations: [] });
    const service: IrsaService = {
      ...sandboxService,
      ...createAwsGatewaysFromOptions({
        credentialsManager: {
          getCredentialProvider: async () => ({
            sdkCredentialProvider: async () => ({
              accessKeyId: 'a',
              secretAccessKey: 'b',
            }),
          }),
        },
        requestsPerSecond: { iam: 1000, eks: 1000 },
      }),
      facts: { get: async () => facts },
    };
    const migrator = DefaultMigrator.fromConfig({
      service,
      logger: mockServices.logger.mock(),
      config: new ConfigReader({}),
    });
    return { migrator, webIdentity, original, sandbox, service };
  }

  it('start to Pod Identity sends exactly these IAM and EKS calls', async () => {
    const { migrator, webIdentity } = await setup(web => web);
    eks.on(CreatePodIdentityAssociationCommand).resolves({
      association: {
        associationId,
        clusterName: cluster,
        namespace,
        serviceAccount,
        roleArn,
        tags,
      },
    });

    const { result } = await migrator.migrate({
      cluster,
      namespace,
      serviceAccount,
      entityRef,
      to: 'pod-identity',
      step: 'start',
    });

    expect(eks.commandCalls(DescribeAddonCommand)[0].args[0].input).toEqual({
      clusterName: cluster,
      addonName: 'eks-pod-identity-agent',
    });
    expect(
      eks.commandCalls(ListPodIdentityAssociationsCommand)[0].args[0].input,
    ).toEqual({
      clusterName: cluster,
      namespace,
      serviceAccount,
      maxResults: 100,
    });
    expect(
      iam.commandCalls(UpdateAssumeRolePolicyCommand).map(c => c.args[0].input),
    ).toEqual([
      {
        RoleName: roleName,
        PolicyDocument: JSON.stringify({
          ...webIdentity,
          Statement: [...webIdentity.Statement, podIdentity],
        }),
      },
    ]);
    expect(
      eks
        .commandCalls(CreatePodIdentityAssociationCommand)
        .map(c => c.args[0].input),
    ).toEqual([
      { clusterName: cluster, namespace, serviceAccount, roleArn, tags },
    ]);
    expect(result.associationId).toBe(associationId);
  });

  it('a refused association puts back the trust exactly as GetRole returned it', async () => {
    const { migrator, original, service } = await setup(web => web);
    eks.on(CreatePodIdentityAssociationCommand).rejects(
      new AccessDeniedException({
        message: 'not authorized to perform: eks:CreatePodIdentityAssociation',
        $metadata: {},
      }),
    );

    const failure = await migrator
      .migrate({
        cluster,
        namespace,
        serviceAccount,
        entityRef,
        to: 'pod-identity',
        step: 'start',
      })
      .catch(e => e);

    expect(failure).toBeInstanceOf(ProvisionError);
    expect((failure as ProvisionError).rolledBack).toEqual([
      `trust policy of ${roleArn} (the document as read)`,
    ]);
    const documents = iam
      .commandCalls(UpdateAssumeRolePolicyCommand)
      .map(c => c.args[0].input.PolicyDocument);
    expect(documents).toHaveLength(2);
    expect(documents[1]).toBe(JSON.stringify(original));
    // The ServiceAccount was never patched.
    expect(
      (await service.kubernetes.getServiceAccount(
        cluster,
        namespace,
        serviceAccount,
      ))!.annotations['eks.amazonaws.com/role-arn'],
    ).toBe(roleArn);
  });

  it('finish to IRSA removes the Pod Identity statement, then deletes the association, last', async () => {
    const { migrator, webIdentity, service } = await setup(web => ({
      ...web,
      Statement: [...web.Statement, podIdentity],
    }));
    await service.kubernetes.patchServiceAccountAnnotations(
      cluster,
      namespace,
      serviceAccount,
      { [ANNOTATION_IRSA_MIGRATING_TO]: 'irsa' },
    );
    eks.on(ListPodIdentityAssociationsCommand).resolves({
      associations: [
        { associationId, clusterName: cluster, namespace, serviceAccount },
      ],
    });
    eks.on(DescribePodIdentityAssociationCommand).resolves({
      association: {
        associationId,
        clusterName: cluster,
        namespace,
        serviceAccount,
        roleArn,
        tags,
      },
    });
    const order: string[] = [];
    iam
      .on(UpdateAssumeRolePolicyCommand)
      .callsFake(async () => order.push('UpdateAssumeRolePolicy'));
    eks
      .on(DeletePodIdentityAssociationCommand)
      .callsFake(async () => order.push('DeletePodIdentityAssociation'));

    const { result } = await migrator.migrate({
      cluster,
      namespace,
      serviceAccount,
      entityRef,
      to: 'irsa',
      step: 'finish',
    });

    expect(
      iam.commandCalls(UpdateAssumeRolePolicyCommand).map(c => c.args[0].input),
    ).toEqual([
      { RoleName: roleName, PolicyDocument: JSON.stringify(webIdentity) },
    ]);
    expect(
      eks
        .commandCalls(DeletePodIdentityAssociationCommand)
        .map(c => c.args[0].input),
    ).toEqual([{ clusterName: cluster, associationId }]);
    expect(order).toEqual([
      'UpdateAssumeRolePolicy',
      'DeletePodIdentityAssociation',
    ]);
    expect(result).toMatchObject({ mechanism: 'irsa', step: 'finish' });
    expect(result).not.toHaveProperty('associationId');
  });
});
