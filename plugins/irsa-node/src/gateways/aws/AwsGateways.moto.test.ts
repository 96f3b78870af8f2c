import {
  AttachRolePolicyCommand,
  CreatePolicyCommand,
  CreatePolicyVersionCommand,
  CreateRoleCommand,
  GetPolicyCommand,
  ListPoliciesCommand,
  ListRolesCommand,
  PutRolePolicyCommand,
} from '@aws-sdk/client-iam';
import type { PolicyDocument } from '@backstage-irsa/plugin-irsa-common';
import {
  createMotoAwsGateways,
  motoAppConfig,
  motoClients,
  seedEksCluster,
  type SeededCluster,
} from '../../__testUtils__/motoAws';
import {
  MOTO_ACCOUNT_ID,
  startMotoServer,
  useDummyAwsEnvironment,
  type MotoServer,
} from '../../__testUtils__/motoServer';
import { GatewayError } from '../errors';
import type { AwsGateways } from '../types';

/*
 * The real AWS gateways, wired from config as production wires them, against
 * moto (a real AWS API emulator on loopback). moto does not serve CloudTrail
 * LookupEvents or Access Analyzer ValidatePolicy, so those stay with the
 * aws-sdk-client-mock tests.
 */

// Real HTTP round trips through the request budget, on a shared CI machine.
jest.setTimeout(20_000);

const region = 'eu-west-1';
const target = { accountId: MOTO_ACCOUNT_ID, region };
const trust = (sub: string): PolicyDocument => ({
  Version: '2012-10-17',
  Statement: [
    {
      Effect: 'Allow',
      Principal: {
        Federated: `arn:aws:iam::${MOTO_ACCOUNT_ID}:oidc-provider/oidc.eks.${region}.amazonaws.com/id/EXAMPLE`,
      },
      Action: 'sts:AssumeRoleWithWebIdentity',
      Condition: {
        StringEquals: {
          [`oidc.eks.${region}.amazonaws.com/id/EXAMPLE:sub`]: sub,
          [`oidc.eks.${region}.amazonaws.com/id/EXAMPLE:aud`]:
            'sts.amazonaws.com',
        },
      },
    },
  ],
});
// Characters IAM percent-encodes in the documents it returns (space, %, &, +, /, =).
const s3Policy = (bucket: string): PolicyDocument => ({
  Version: '2012-10-17',
  Statement: [
    {
      Sid: 'ReadReports',
      Effect: 'Allow',
      Action: ['s3:GetObject', 's3:ListBucket'],
      Resource: [
        `arn:aws:s3:::${bucket}`,
        `arn:aws:s3:::${bucket}/q=1&r+2/100% done/*`,
      ],
    },
  ],
});

describe('The AWS gateways against moto', () => {
  let moto: MotoServer;
  let aws: AwsGateways;
  let sdk: ReturnType<typeof motoClients>;
  let seeded: SeededCluster;

  beforeAll(async () => {
    useDummyAwsEnvironment(region);
    moto = await startMotoServer({ awsManagedPolicies: true });
    aws = createMotoAwsGateways(motoAppConfig(moto.endpoint));
    sdk = motoClients(moto.endpoint, region);
    seeded = await seedEksCluster(moto.endpoint, {
      clusterName: 'shop',
      region,
    });
  }, 40_000);

  afterAll(async () => {
    sdk?.destroy();
    await moto?.stop();
  });

  /** The typed error a call fails with, reduced to what callers branch on. */
  const failure = (promise: Promise<unknown>) =>
    promise.then(
      () => 'resolved',
      error =>
        error instanceof GatewayError
          ? { kind: error.kind, operation: error.operation, code: error.code }
          : error,
    );

  describe('OIDC providers', () => {
    it('reads the provider created for the cluster issuer', async () => {
      await expect(
        aws.iam.getOidcProvider(target, seeded.oidcProviderArn),
      ).resolves.toEqual({
        arn: seeded.oidcProviderArn,
        url: seeded.issuer,
        clientIds: ['sts.amazonaws.com'],
        thumbprints: ['9e99a48a9960b14926bb7f3b02e22da2b0ab7280'],
      });
    });

    it('reports a missing provider as not-found', async () => {
      await expect(
        failure(
          aws.iam.getOidcProvider(
            target,
            `arn:aws:iam::${MOTO_ACCOUNT_ID}:oidc-provider/oidc.eks.${region}.amazonaws.com/id/NOPE`,
          ),
        ),
      ).resolves.toEqual({
        kind: 'not-found',
        operation: 'iam:GetOpenIDConnectProvider',
        code: 'NoSuchEntityException',
      });
    });
  });

  describe('roles', () => {
    it('creates a role with every attribute and reads it back identically', async () => {
      const boundary = await sdk.iam.send(
        new CreatePolicyCommand({
          PolicyName: 'irsa-boundary',
          PolicyDocument: JSON.stringify(s3Policy('boundary')),
        }),
      );
      const boundaryArn = boundary.Policy!.Arn!;
      const created = await aws.iam.createRole(target, {
        name: 'irsa-shop-cart',
        path: '/irsa/',
        trustPolicy: trust('system:serviceaccount:shop:cart'),
        description: 'IRSA role for shop/cart on shop',
        maxSessionDuration: 7200,
        permissionsBoundaryArn: boundaryArn,
        tags: { 'irsa.dev/cluster': 'shop', team: 'payments' },
      });
      const read = await aws.iam.getRole(target, 'irsa-shop-cart');

      expect(read).toEqual(created);
      expect(read).toEqual({
        arn: `arn:aws:iam::${MOTO_ACCOUNT_ID}:role/irsa/irsa-shop-cart`,
        name: 'irsa-shop-cart',
        path: '/irsa/',
        roleId: created.roleId,
        trustPolicy: trust('system:serviceaccount:shop:cart'),
        tags: { 'irsa.dev/cluster': 'shop', team: 'payments' },
        createDate: created.createDate,
        maxSessionDuration: 7200,
        description: 'IRSA role for shop/cart on shop',
        permissionsBoundaryArn: boundaryArn,
      });
      expect(created.roleId).toMatch(/^AROA[A-Z0-9]{17}$/);
      expect(Date.now() - Date.parse(created.createDate)).toBeLessThan(60_000);
    });

    it('reports a taken role name as already-exists and a missing role as not-found', async () => {
      await aws.iam.createRole(target, {
        name: 'irsa-taken',
        path: '/',
        trustPolicy: trust('system:serviceaccount:a:b'),
        tags: {},
      });
      await expect(
        failure(
          aws.iam.createRole(target, {
            name: 'irsa-taken',
            path: '/',
            trustPolicy: trust('system:serviceaccount:a:b'),
            tags: {},
          }),
        ),
      ).resolves.toEqual({
        kind: 'already-exists',
        operation: 'iam:CreateRole',
        code: 'EntityAlreadyExistsException',
      });
      await expect(
        failure(aws.iam.getRole(target, 'irsa-missing')),
      ).resolves.toEqual({
        kind: 'not-found',
        operation: 'iam:GetRole',
        code: 'NoSuchEntityException',
      });
    });

    it('replaces the trust policy and merges tags', async () => {
      await aws.iam.createRole(target, {
        name: 'irsa-update',
        path: '/',
        trustPolicy: trust('system:serviceaccount:old:sa'),
        tags: { keep: 'me', change: 'old' },
      });
      await aws.iam.updateTrustPolicy(
        target,
        'irsa-update',
        trust('system:serviceaccount:new:sa'),
      );
      await aws.iam.tagRole(target, 'irsa-update', {
        change: 'new',
        added: 'yes',
      });
      const role = await aws.iam.getRole(target, 'irsa-update');
      expect(role.trustPolicy).toEqual(trust('system:serviceaccount:new:sa'));
      expect(role.tags).toEqual({ keep: 'me', change: 'new', added: 'yes' });
    });

    it('removes role tags by key and leaves the others', async () => {
      await aws.iam.createRole(target, {
        name: 'irsa-untag',
        path: '/',
        trustPolicy: trust('system:serviceaccount:u:u'),
        tags: { a: '1', b: '2', c: '3' },
      });
      await aws.iam.untagRole(target, 'irsa-untag', ['a', 'c']);
      await expect(
        aws.iam.getRole(target, 'irsa-untag').then(r => r.tags),
      ).resolves.toEqual({ b: '2' });
    });

    it('waits for an existing role and gives up on a missing one after the timeout', async () => {
      await aws.iam.createRole(target, {
        name: 'irsa-wait',
        path: '/',
        trustPolicy: trust('system:serviceaccount:w:w'),
        tags: {},
      });
      await expect(
        aws.iam.waitUntilRoleExists(target, 'irsa-wait', 1000),
      ).resolves.toBeUndefined();
      const started = Date.now();
      await expect(
        failure(aws.iam.waitUntilRoleExists(target, 'irsa-never', 500)),
      ).resolves.toEqual({
        kind: 'not-found',
        operation: 'iam:GetRole',
        code: 'NoSuchEntityException',
      });
      expect(Date.now() - started).toBeGreaterThanOrEqual(500);
    });

    it('deletes a role, refusing while a policy is attached', async () => {
      await aws.iam.createRole(target, {
        name: 'irsa-delete',
        path: '/',
        trustPolicy: trust('system:serviceaccount:d:d'),
        tags: {},
      });
      const policy = await aws.iam.createPolicy(target, {
        name: 'irsa-delete-policy',
        path: '/',
        document: s3Policy('delete'),
        tags: {},
      });
      await aws.iam.attachRolePolicy(target, 'irsa-delete', policy.arn);
      await expect(
        failure(aws.iam.deleteRole(target, 'irsa-delete')),
      ).resolves.toEqual({
        kind: 'conflict',
        operation: 'iam:DeleteRole',
        code: 'DeleteConflictException',
      });
      await aws.iam.detachRolePolicy(target, 'irsa-delete', policy.arn);
      await aws.iam.deleteRole(target, 'irsa-delete');
      await expect(
        failure(aws.iam.getRole(target, 'irsa-delete')),
      ).resolves.toEqual({
        kind: 'not-found',
        operation: 'iam:GetRole',
        code: 'NoSuchEntityException',
      });
    });
  });

  describe('managed policies', () => {
    it('creates a policy with path and tags and reads it and its document back', async () => {
      const created = await aws.iam.createPolicy(target, {
        name: 'irsa-shop-reports',
        path: '/irsa/',
        document: s3Policy('reports'),
        description: 'reports for shop',
        tags: { 'irsa.dev/cluster': 'shop' },
      });
      const expected = {
        arn: `arn:aws:iam::${MOTO_ACCOUNT_ID}:policy/irsa/irsa-shop-reports`,
        name: 'irsa-shop-reports',
        path: '/irsa/',
        defaultVersionId: 'v1',
        awsManaged: false,
        attachmentCount: 0,
        tags: { 'irsa.dev/cluster': 'shop' },
      };
      expect(created).toEqual(expected);
      await expect(aws.iam.getPolicy(target, created.arn)).resolves.toEqual(
        expected,
      );
      await expect(
        aws.iam.getPolicyVersion(target, created.arn, 'v1'),
      ).resolves.toEqual(s3Policy('reports'));
      await expect(
        aws.iam.listPolicyVersions(target, created.arn),
      ).resolves.toEqual([
        { versionId: 'v1', isDefault: true, createDate: expect.any(String) },
      ]);
    });

    it('counts attachments and maps an AWS-managed ARN', async () => {
      await aws.iam.createRole(target, {
        name: 'irsa-counted',
        path: '/',
        trustPolicy: trust('system:serviceaccount:c:c'),
        tags: {},
      });
      const policy = await aws.iam.createPolicy(target, {
        name: 'irsa-counted',
        path: '/',
        document: s3Policy('counted'),
        tags: {},
      });
      await aws.iam.attachRolePolicy(target, 'irsa-counted', policy.arn);
      await expect(aws.iam.getPolicy(target, policy.arn)).resolves.toEqual({
        ...policy,
        attachmentCount: 1,
      });
      const readOnly = await aws.iam.getPolicy(
        target,
        'arn:aws:iam::aws:policy/ReadOnlyAccess',
      );
      expect({
        arn: readOnly.arn,
        awsManaged: readOnly.awsManaged,
        path: readOnly.path,
      }).toEqual({
        arn: 'arn:aws:iam::aws:policy/ReadOnlyAccess',
        awsManaged: true,
        path: '/',
      });
    });

    it('tags and untags a customer-managed policy', async () => {
      const policy = await aws.iam.createPolicy(target, {
        name: 'irsa-tagged',
        path: '/irsa/',
        document: s3Policy('tagged'),
        tags: { x: '1', keep: 'yes' },
      });
      await aws.iam.tagPolicy(target, policy.arn, { x: '2', y: '3' });
      await expect(
        aws.iam.getPolicy(target, policy.arn).then(p => p.tags),
      ).resolves.toEqual({ x: '2', y: '3', keep: 'yes' });
      await aws.iam.untagPolicy(target, policy.arn, ['x', 'y']);
      await expect(
        aws.iam.getPolicy(target, policy.arn).then(p => p.tags),
      ).resolves.toEqual({ keep: 'yes' });
    });

    it('at the 5-version limit deletes the oldest non-default version, then adds the new default', async () => {
      const policy = await aws.iam.createPolicy(target, {
        name: 'irsa-versions',
        path: '/',
        document: s3Policy('v1'),
        tags: {},
      });
      for (const n of [2, 3, 4, 5]) {
        await expect(
          aws.iam.createPolicyVersion(target, policy.arn, s3Policy(`v${n}`)),
        ).resolves.toBe(`v${n}`);
      }
      await expect(
        aws.iam.createPolicyVersion(target, policy.arn, s3Policy('v6')),
      ).resolves.toBe('v6');

      const versions = await aws.iam.listPolicyVersions(target, policy.arn);
      expect(
        versions.map(v => `${v.versionId}${v.isDefault ? '*' : ''}`).sort(),
      ).toEqual(['v2', 'v3', 'v4', 'v5', 'v6*']);
      await expect(aws.iam.getPolicy(target, policy.arn)).resolves.toEqual(
        expect.objectContaining({ defaultVersionId: 'v6' }),
      );
      await expect(
        aws.iam.getPolicyVersion(target, policy.arn, 'v6'),
      ).resolves.toEqual(s3Policy('v6'));
    });

    it('at the limit keeps the newer versions even when the default is the oldest', async () => {
      // v1 stays the default (SetAsDefault false) while v2..v5 pile up.
      const created = await sdk.iam.send(
        new CreatePolicyCommand({
          PolicyName: 'irsa-pinned',
          PolicyDocument: JSON.stringify(s3Policy('v1')),
        }),
      );
      const arn = created.Policy!.Arn!;
      for (const n of [2, 3, 4, 5]) {
        await sdk.iam.send(
          new CreatePolicyVersionCommand({
            PolicyArn: arn,
            PolicyDocument: JSON.stringify(s3Policy(`v${n}`)),
            SetAsDefault: false,
          }),
        );
      }
      await aws.iam.createPolicyVersion(target, arn, s3Policy('v6'));
      const versions = await aws.iam.listPolicyVersions(target, arn);
      expect(
        versions.map(v => `${v.versionId}${v.isDefault ? '*' : ''}`).sort(),
      ).toEqual(['v1', 'v3', 'v4', 'v5', 'v6*']);
    });

    it('deletes a policy together with its non-default versions', async () => {
      const policy = await aws.iam.createPolicy(target, {
        name: 'irsa-doomed',
        path: '/irsa/',
        document: s3Policy('d1'),
        tags: {},
      });
      await aws.iam.createPolicyVersion(target, policy.arn, s3Policy('d2'));
      await aws.iam.createPolicyVersion(target, policy.arn, s3Policy('d3'));
      await aws.iam.deletePolicy(target, policy.arn);
      await expect(
        failure(aws.iam.getPolicy(target, policy.arn)),
      ).resolves.toEqual({
        kind: 'not-found',
        operation: 'iam:GetPolicy',
        code: 'NoSuchEntityException',
      });
      await expect(
        sdk.iam.send(new GetPolicyCommand({ PolicyArn: policy.arn })),
      ).rejects.toThrow(/not found|does not exist/i);
    });

    it('attaches, lists every page of, and detaches managed policies', async () => {
      await aws.iam.createRole(target, {
        name: 'irsa-many',
        path: '/',
        trustPolicy: trust('system:serviceaccount:m:m'),
        tags: {},
      });
      // 103 attachments: more than one page of 100 (moto does not enforce IAM's limit of 10).
      const names = Array.from(
        { length: 103 },
        (_, i) => `irsa-many-${String(i).padStart(3, '0')}`,
      );
      // Two phases: moto_server fails (HTTP 500) when a create runs while an
      // attach iterates its policies, but concurrent creates, or concurrent
      // attaches, are safe.
      const arns = await Promise.all(
        names.map(async PolicyName => {
          const out = await sdk.iam.send(
            new CreatePolicyCommand({
              PolicyName,
              PolicyDocument: JSON.stringify(s3Policy(PolicyName)),
            }),
          );
          return out.Policy!.Arn!;
        }),
      );
      await Promise.all(
        arns.map(PolicyArn =>
          sdk.iam.send(
            new AttachRolePolicyCommand({ RoleName: 'irsa-many', PolicyArn }),
          ),
        ),
      );
      const listed = await aws.iam.listAttachedRolePolicies(
        target,
        'irsa-many',
      );
      expect(listed.map(p => p.name).sort()).toEqual(names);
      expect(listed.map(p => p.arn).sort()).toEqual([...arns].sort());

      await aws.iam.detachRolePolicy(target, 'irsa-many', arns[0]);
      const after = await aws.iam.listAttachedRolePolicies(target, 'irsa-many');
      expect(after.map(p => p.name).sort()).toEqual(names.slice(1));
    }, 30_000);
  });

  describe('inline policies', () => {
    it('lists inline policy names and decodes their documents', async () => {
      await sdk.iam.send(
        new CreateRoleCommand({
          RoleName: 'irsa-inline',
          AssumeRolePolicyDocument: JSON.stringify(
            trust('system:serviceaccount:i:i'),
          ),
        }),
      );
      for (const name of ['legacy-s3', 'audit']) {
        await sdk.iam.send(
          new PutRolePolicyCommand({
            RoleName: 'irsa-inline',
            PolicyName: name,
            PolicyDocument: JSON.stringify(s3Policy(name)),
          }),
        );
      }
      // IAM lists them alphabetically, moto in insertion order; no order is promised.
      expect(
        (await aws.iam.listRolePolicies(target, 'irsa-inline')).sort(),
      ).toEqual(['audit', 'legacy-s3']);
      await expect(
        aws.iam.getRolePolicy(target, 'irsa-inline', 'legacy-s3'),
      ).resolves.toEqual(s3Policy('legacy-s3'));
    });

    it('reports a missing inline policy as not-found', async () => {
      await aws.iam.createRole(target, {
        name: 'irsa-inline-none',
        path: '/',
        trustPolicy: trust('system:serviceaccount:in:in'),
        tags: {},
      });
      await expect(
        aws.iam.listRolePolicies(target, 'irsa-inline-none'),
      ).resolves.toEqual([]);
      await expect(
        failure(aws.iam.getRolePolicy(target, 'irsa-inline-none', 'scratch')),
      ).resolves.toEqual({
        kind: 'not-found',
        operation: 'iam:GetRolePolicy',
        code: 'NoSuchEntityException',
      });
    });
  });

  describe('account', () => {
    it('maps GetAccountSummary to the quotas and the live counts', async () => {
      const roles = await sdk.iam.send(
        new ListRolesCommand({ MaxItems: 1000 }),
      );
      const policies = await sdk.iam.send(
        new ListPoliciesCommand({ Scope: 'Local', MaxItems: 1000 }),
      );
      await expect(aws.iam.getAccountQuotas(target)).resolves.toEqual({
        assumeRolePolicySizeMax: 2048,
        policySizeQuota: 6144,
        rolePolicySizeQuota: 10240,
        attachedPoliciesPerRoleQuota: 10,
        roles: roles.Roles!.length,
        rolesQuota: 1000,
        policies: policies.Policies!.length,
        policiesQuota: 1500,
      });
      expect(roles.Roles!.length).toBeGreaterThan(0);
    });
  });

  describe('account authorization details', () => {
    it('reads roles with tags, boundary, attached and inline policies, and the policies in use, decoding every document', async () => {
      const local = await aws.iam.createPolicy(target, {
        name: 'fleet-shop',
        path: '/fleet/',
        document: s3Policy('shop-v1'),
        tags: {},
      });
      await aws.iam.createPolicyVersion(target, local.arn, s3Policy('shop-v2'));
      const boundary = await aws.iam.createPolicy(target, {
        name: 'fleet-boundary',
        path: '/fleet/',
        document: s3Policy('boundary'),
        tags: {},
      });
      const awsPolicy = `arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess`;
      await aws.iam.createRole(target, {
        name: 'fleet-shop',
        path: '/fleet/',
        trustPolicy: trust('system:serviceaccount:shop:shop'),
        permissionsBoundaryArn: boundary.arn,
        tags: { 'irsa.dev/managed-by': 'backstage-irsa', team: 'shop' },
      });
      await aws.iam.attachRolePolicy(target, 'fleet-shop', local.arn);
      await aws.iam.attachRolePolicy(target, 'fleet-shop', awsPolicy);
      await aws.iam.createRole(target, {
        name: 'fleet-plain',
        path: '/fleet/',
        trustPolicy: trust('system:serviceaccount:plain:plain'),
        tags: {},
      });
      await sdk.iam.send(
        new CreateRoleCommand({
          RoleName: 'fleet-inline',
          Path: '/fleet/',
          AssumeRolePolicyDocument: JSON.stringify(
            trust('system:serviceaccount:inline:inline'),
          ),
        }),
      );
      for (const name of ['legacy-s3', 'audit']) {
        await sdk.iam.send(
          new PutRolePolicyCommand({
            RoleName: 'fleet-inline',
            PolicyName: name,
            PolicyDocument: JSON.stringify(s3Policy(name)),
          }),
        );
      }

      const details = await aws.iam.getAccountAuthorizationDetails(target);

      // What GetRole says of each role, less the two fields this call lacks.
      const asDetail = async (name: string) => {
        const { maxSessionDuration, description, ...role } =
          await aws.iam.getRole(target, name);
        return role;
      };
      const byName = <T extends { name: string }>(list: T[]) =>
        [...list].sort((a, b) => a.name.localeCompare(b.name));
      const fleet = details.roles
        .filter(role => role.path === '/fleet/')
        .map(role => ({
          ...role,
          // IAM promises no order; moto keeps insertion order.
          attachedPolicies: byName(role.attachedPolicies),
          inlinePolicies: byName(role.inlinePolicies),
        }));
      expect(byName(fleet)).toStrictEqual([
        {
          ...(await asDetail('fleet-inline')),
          attachedPolicies: [],
          inlinePolicies: [
            { name: 'audit', document: s3Policy('audit') },
            { name: 'legacy-s3', document: s3Policy('legacy-s3') },
          ],
        },
        {
          ...(await asDetail('fleet-plain')),
          attachedPolicies: [],
          inlinePolicies: [],
        },
        {
          ...(await asDetail('fleet-shop')),
          attachedPolicies: [
            { arn: awsPolicy, name: 'AmazonS3ReadOnlyAccess' },
            { arn: local.arn, name: 'fleet-shop' },
          ],
          inlinePolicies: [],
        },
      ]);
      expect(fleet.find(r => r.name === 'fleet-shop')).toMatchObject({
        tags: { 'irsa.dev/managed-by': 'backstage-irsa', team: 'shop' },
        permissionsBoundaryArn: boundary.arn,
        trustPolicy: trust('system:serviceaccount:shop:shop'),
      });

      const policy = (arn: string) => details.policies.find(p => p.arn === arn);
      // This call leaves policy tags out; the rest matches GetPolicy.
      expect(policy(local.arn)).toStrictEqual({
        ...(await aws.iam.getPolicy(target, local.arn)),
        defaultVersionId: 'v2',
        defaultDocument: s3Policy('shop-v2'),
      });
      expect(policy(boundary.arn)).toStrictEqual({
        ...(await aws.iam.getPolicy(target, boundary.arn)),
        defaultDocument: s3Policy('boundary'),
      });
      const s3ReadOnly = await aws.iam.getPolicy(target, awsPolicy);
      expect(policy(awsPolicy)).toStrictEqual({
        ...s3ReadOnly,
        defaultDocument: await aws.iam.getPolicyVersion(
          target,
          awsPolicy,
          s3ReadOnly.defaultVersionId,
        ),
      });
      // moto lists every AWS managed policy; only those in use are kept.
      expect(
        policy('arn:aws:iam::aws:policy/AWSCloudTrail_ReadOnlyAccess'),
      ).toBeUndefined();
      expect(
        details.policies.filter(p => p.awsManaged && p.attachmentCount === 0),
      ).toEqual([]);
    });
  });

  describe('STS', () => {
    it('maps the assumed identity and hands back no credentials', async () => {
      const role = await aws.iam.createRole(target, {
        name: 'irsa-sts',
        path: '/irsa/',
        trustPolicy: trust('system:serviceaccount:s:s'),
        tags: {},
      });
      const before = Date.now();
      const identity = await aws.sts.assumeRoleWithWebIdentity(target, {
        roleArn: role.arn,
        webIdentityToken: 'header.payload.signature',
        sessionName: 'backstage-irsa-verify',
      });
      // moto answers with a fixed AssumedRoleId and without the web identity
      // fields (SubjectFromWebIdentityToken, Audience, Provider) real STS adds.
      expect(identity).toEqual({
        assumedRoleArn: `arn:aws:sts::${MOTO_ACCOUNT_ID}:assumed-role/irsa-sts/backstage-irsa-verify`,
        assumedRoleId: 'ARO123EXAMPLE123:backstage-irsa-verify',
        subjectFromWebIdentityToken: undefined,
        audience: undefined,
        provider: undefined,
        expiration: expect.stringMatching(
          /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/,
        ),
      });
      expect(Object.keys(identity).sort()).toEqual([
        'assumedRoleArn',
        'assumedRoleId',
        'audience',
        'expiration',
        'provider',
        'subjectFromWebIdentityToken',
      ]);
      // DurationSeconds 900: the discarded credentials expire in 15 minutes.
      const lifetime = Date.parse(identity.expiration!) - before;
      expect(lifetime).toBeGreaterThan(880_000);
      expect(lifetime).toBeLessThanOrEqual(901_000);
      expect(JSON.stringify(identity)).not.toMatch(
        /AccessKeyId|SecretAccessKey|SessionToken|ASIA[A-Z0-9]{12}/,
      );
    });
  });

  describe('EKS and EC2', () => {
    it('describes the cluster', async () => {
      const cluster = await aws.eks.describeCluster(target, 'shop');
      expect(cluster).toEqual({
        name: 'shop',
        arn: `arn:aws:eks:${region}:${MOTO_ACCOUNT_ID}:cluster/shop`,
        status: 'ACTIVE',
        endpoint: expect.stringMatching(/^https:\/\//),
        issuerUrl: `https://${seeded.issuer}`,
        // moto keeps resourcesVpcConfig as sent and never derives the VPC id.
        vpcId: undefined,
        subnetIds: seeded.privateSubnetIds,
      });
      await expect(
        failure(aws.eks.describeCluster(target, 'nope')),
      ).resolves.toEqual({
        kind: 'not-found',
        operation: 'eks:DescribeCluster',
        code: 'ResourceNotFoundException',
      });
    });

    it('describes subnets by id, by VPC and by tag key', async () => {
      const byIds = await aws.network.describeSubnets(target, {
        subnetIds: seeded.privateSubnetIds,
      });
      expect(byIds.map(s => s.id).sort()).toEqual(
        [...seeded.privateSubnetIds].sort(),
      );
      expect(byIds.find(s => s.id === seeded.privateSubnetIds[0])).toEqual({
        id: seeded.privateSubnetIds[0],
        vpcId: seeded.vpcId,
        cidrBlock: '10.40.1.0/24',
        ipv6CidrBlocks: [],
        availabilityZone: `${region}a`,
        tags: { 'kubernetes.io/cluster/shop': 'shared' },
      });
      await expect(
        failure(
          aws.network.describeSubnets(target, {
            subnetIds: ['subnet-0000000000000000f'],
          }),
        ),
      ).resolves.toEqual({
        kind: 'not-found',
        operation: 'ec2:DescribeSubnets',
        code: 'InvalidSubnetID.NotFound',
      });
      const inVpc = await aws.network.describeSubnets(target, {
        vpcId: seeded.vpcId,
      });
      expect(inVpc.map(s => s.cidrBlock).sort()).toEqual([
        '10.40.1.0/24',
        '10.40.100.0/24',
        '10.40.2.0/24',
        '10.40.200.0/24',
      ]);
      const tagged = await aws.network.describeSubnets(target, {
        vpcId: seeded.vpcId,
        tagKey: 'kubernetes.io/cluster/shop',
      });
      expect(tagged.map(s => s.id).sort()).toEqual(
        [...seeded.privateSubnetIds].sort(),
      );
    });

    it('describes the NAT gateway with its Elastic IP', async () => {
      await expect(
        aws.network.describeNatGateways(target, { vpcId: seeded.vpcId }),
      ).resolves.toEqual([
        {
          id: seeded.natGatewayId,
          vpcId: seeded.vpcId,
          subnetId: seeded.publicSubnetId,
          state: 'available',
          publicIps: [seeded.natPublicIp],
        },
      ]);
    });

    it('describes the route tables: the main one and the private one routing to the NAT', async () => {
      const tables = await aws.network.describeRouteTables(target, {
        vpcId: seeded.vpcId,
      });
      expect(
        [...tables].sort((a, b) => Number(b.main) - Number(a.main)),
      ).toEqual([
        {
          id: expect.stringMatching(/^rtb-/),
          vpcId: seeded.vpcId,
          main: true,
          subnetIds: [],
          natGatewayIds: [],
        },
        {
          id: seeded.privateRouteTableId,
          vpcId: seeded.vpcId,
          main: false,
          subnetIds: seeded.privateSubnetIds,
          natGatewayIds: [seeded.natGatewayId],
        },
      ]);
    });

    it('describes the VPC endpoints', async () => {
      await expect(
        aws.network.describeVpcEndpoints(target, { vpcId: seeded.vpcId }),
      ).resolves.toEqual([
        {
          id: seeded.vpcEndpointId,
          vpcId: seeded.vpcId,
          serviceName: `com.amazonaws.${region}.s3`,
          type: 'Gateway',
          state: 'available',
        },
      ]);
    });
  });
});
