import { mockServices } from '@backstage/backend-test-utils';
import type { PolicyDocument } from '@backstage-irsa/plugin-irsa-common';
import { ConfigReader } from '@backstage/config';
import { createSandboxIrsaService } from '@backstage-irsa/plugin-irsa-sandbox';
import { DefaultProvisioner } from './DefaultProvisioner';
import type { ProvisionInput } from './input';

/*
 * The attack table: what someone allowed to run the template might try, the
 * refusal they get, and proof that nothing was written to AWS or Kubernetes.
 * Each row starts from a fresh sandbox; `arrange` sets up the victim state
 * (its writes are not counted).
 */

const s3Read = {
  Version: '2012-10-17',
  Statement: [
    {
      Effect: 'Allow',
      Action: 's3:GetObject',
      Resource: 'arn:aws:s3:::shop/*',
    },
  ],
};
const base: ProvisionInput = {
  cluster: 'sandbox',
  namespace: 'shop',
  serviceAccount: 'cart',
  policy: s3Read,
  entityRef: 'component:default/cart',
  owner: 'group:default/shop',
};
const grant = (statement: Record<string, unknown>): PolicyDocument => ({
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', ...statement }],
});
const platform = {
  irsa: {
    provisioning: {
      rolePath: '/irsa/',
      permissionsBoundaryArn: 'arn:aws:iam::111122223333:policy/irsa-boundary',
      maxSessionDuration: 7200,
      tags: { 'cost-center': 'platform' },
    },
  },
};
const victim: ProvisionInput = {
  ...base,
  serviceAccount: 'payments',
  entityRef: 'component:default/payments',
  owner: 'group:default/payments',
};

type Setup = Awaited<ReturnType<typeof setup>>;
/** A string refusal must match whole; a RegExp as written. */
const exactly = (refusal: string | RegExp) =>
  typeof refusal === 'string'
    ? new RegExp(`^${refusal.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`)
    : refusal;
interface Attack {
  attack: string;
  input: Partial<ProvisionInput> & Record<string, unknown>;
  config?: object;
  /** The caller's irsa.role.adopt decisions, per entity ref (default: none). */
  mayAdopt?: string[];
  /** The caller's irsa.role.update decisions, per entity ref (default: every). */
  mayUpdate?: string[];
  arrange?: (s: Setup) => Promise<void>;
  refusal: string | RegExp;
}

async function setup(config: object = {}) {
  const { service, sandbox } = await createSandboxIrsaService();
  const provisioner = DefaultProvisioner.fromConfig({
    service,
    logger: mockServices.logger.mock(),
    config: new ConfigReader(config),
  });
  return { service, sandbox, provisioner };
}

const attacks: Attack[] = [
  {
    attack: 'attach AdministratorAccess',
    input: {
      managedPolicyArns: ['arn:aws:iam::aws:policy/AdministratorAccess'],
    },
    refusal:
      /managedPolicyArns\[0\]: .*AdministratorAccess grants administrator access or control over IAM/,
  },
  {
    attack: 'attach PowerUserAccess',
    input: { managedPolicyArns: ['arn:aws:iam::aws:policy/PowerUserAccess'] },
    refusal: /managedPolicyArns\[0\]: .*PowerUserAccess/,
  },
  {
    attack: 'attach IAMFullAccess under a job-function path',
    input: {
      managedPolicyArns: ['arn:aws:iam::aws:policy/job-function/IAMFullAccess'],
    },
    refusal: /managedPolicyArns\[0\]: .*IAMFullAccess/,
  },
  {
    attack:
      'attach a customer policy whose document is admin (name looks harmless)',
    input: {
      managedPolicyArns: ['arn:aws:iam::111122223333:policy/read-only-helper'],
    },
    arrange: async ({ service }) => {
      await service.iam.createPolicy(
        { accountId: '111122223333', region: 'us-east-1' },
        {
          name: 'read-only-helper',
          path: '/',
          document: grant({ Action: 'iam:*', Resource: '*' }),
          tags: {},
        },
      );
    },
    refusal: /managedPolicyArns\[0\]: .*read-only-helper.*iam:\*/,
  },
  {
    attack: 'attach a policy from another account',
    input: { managedPolicyArns: ['arn:aws:iam::999999999999:policy/anything'] },
    refusal: /managedPolicyArns\[0\]: .*belongs to account 999999999999/,
  },
  {
    attack: 'attach a policy that does not exist',
    input: {
      managedPolicyArns: ['arn:aws:iam::111122223333:policy/does-not-exist'],
    },
    refusal:
      'managedPolicyArns[0]: arn:aws:iam::111122223333:policy/does-not-exist does not exist',
  },
  {
    attack: 'iam:* on arn:aws:iam::*:* (a wildcard resource ARN)',
    input: { policy: grant({ Action: 'iam:*', Resource: 'arn:aws:iam::*:*' }) },
    refusal: /^policy: refused by the guardrails .*Statement\[0\]/,
  },
  {
    attack: 'iam:PassRole on every role of the account (pattern ARN)',
    input: {
      policy: grant({
        Action: 'iam:PassRole',
        Resource: 'arn:aws:iam::111122223333:role/*',
      }),
    },
    refusal: /^policy: refused by the guardrails .*iam:PassRole/,
  },
  {
    attack: 'iam:Pass* on arn:*:iam::*:role/*',
    input: {
      policy: grant({ Action: 'iam:Pass*', Resource: 'arn:*:iam::*:role/*' }),
    },
    refusal: /^policy: refused by the guardrails .*iam:PassRole/,
  },
  {
    attack: 'sts:AssumeRole on *',
    input: { policy: grant({ Action: 'sts:AssumeRole', Resource: '*' }) },
    refusal: /^policy: refused by the guardrails .*sts:AssumeRole/,
  },
  {
    attack: 'iam:CreatePolicyVersion on every policy',
    input: {
      policy: grant({
        Action: 'iam:CreatePolicyVersion',
        Resource: 'arn:aws:iam::111122223333:policy/*',
      }),
    },
    refusal: /^policy: refused by the guardrails .*iam:CreatePolicyVersion/,
  },
  {
    attack: 'iam:UpdateAssumeRolePolicy on *',
    input: {
      policy: grant({ Action: 'iam:UpdateAssumeRolePolicy', Resource: '*' }),
    },
    refusal: /^policy: refused by the guardrails .*iam:UpdateAssumeRolePolicy/,
  },
  {
    attack: 'Allow with NotAction',
    input: { policy: grant({ NotAction: 's3:DeleteBucket', Resource: '*' }) },
    refusal: /^policy: refused by the guardrails .*NotAction/,
  },
  {
    attack: 'Allow with NotResource',
    input: {
      policy: grant({ Action: 's3:GetObject', NotResource: 'arn:aws:s3:::x' }),
    },
    refusal: /^policy: refused by the guardrails .*NotResource/,
  },
  {
    attack: 'a Condition to launder iam:*',
    input: {
      policy: grant({
        Action: 'iam:*',
        Resource: '*',
        Condition: { StringEquals: { 'aws:RequestedRegion': 'eu-west-1' } },
      }),
    },
    refusal: /^policy: refused by the guardrails .*iam:\*/,
  },
  {
    attack: "replace the platform's permissions boundary",
    config: platform,
    input: {
      permissionsBoundaryArn: 'arn:aws:iam::111122223333:policy/wide-open',
    },
    refusal:
      "permissionsBoundaryArn: the platform's boundary arn:aws:iam::111122223333:policy/irsa-boundary cannot be replaced or removed (irsa.provisioning.permissionsBoundaryArn)",
  },
  {
    attack: "escape the platform's role path",
    config: platform,
    input: { rolePath: '/' },
    refusal:
      'rolePath: must be /irsa/ or below it (irsa.provisioning.rolePath)',
  },
  {
    attack: 'a session longer than the platform allows',
    config: platform,
    input: { maxSessionDuration: 43200 },
    refusal:
      'maxSessionDuration: must be a whole number of seconds from 3600 to 7200 (irsa.provisioning.maxSessionDuration)',
  },
  {
    attack: 'overwrite a platform tag',
    config: platform,
    input: { tags: { 'cost-center': 'free' } },
    refusal:
      'tags.cost-center: is a platform tag (irsa.provisioning.tags); templates cannot overwrite it',
  },
  {
    attack: 'forge the ownership tag',
    input: { tags: { 'irsa.dev/entity-ref': 'component:default/payments' } },
    refusal:
      'tags.irsa.dev/entity-ref: keys starting with irsa.dev/ are written by this action',
  },
  {
    attack: 'no entity to own the role',
    input: { entityRef: undefined },
    refusal: 'entityRef: must be a non-empty string',
  },
  {
    attack: "take over another entity's role and ServiceAccount",
    input: { serviceAccount: 'payments' },
    arrange: async ({ provisioner }) => {
      await provisioner.provision(victim);
    },
    refusal:
      /^role irsa-sandbox-shop-payments belongs to component:default\/payments \(owner group:default\/payments\); .*ServiceAccount shop\/payments belongs to component:default\/payments.*set adopt: true \(needs the permission irsa.role.adopt\)/,
  },
  {
    attack: "adopt another entity's role without irsa.role.adopt",
    input: { serviceAccount: 'payments', adopt: true },
    arrange: async ({ provisioner }) => {
      await provisioner.provision(victim);
    },
    refusal: /needs the permission irsa.role.adopt on component:default\/cart$/,
  },
  {
    attack:
      "adopt with irsa.role.adopt on its own entity but not on the owner's",
    input: { serviceAccount: 'payments', adopt: true },
    mayAdopt: ['component:default/cart'],
    arrange: async ({ provisioner }) => {
      await provisioner.provision(victim);
    },
    refusal:
      /needs the permission irsa.role.adopt on component:default\/payments$/,
  },
  {
    attack: 'adopt a role outside the platform role path',
    config: platform,
    input: { roleName: 'legacy-admin', adopt: true },
    mayAdopt: ['component:default/cart'],
    arrange: async ({ service }) => {
      await service.iam.createRole(
        { accountId: '111122223333', region: 'us-east-1' },
        {
          name: 'legacy-admin',
          path: '/',
          trustPolicy: grant({
            Action: 'sts:AssumeRole',
            Principal: { Service: 'ec2.amazonaws.com' },
          }),
          tags: {},
        },
      );
    },
    refusal:
      'role legacy-admin is at path /, outside /irsa/ (irsa.provisioning.rolePath); it cannot be adopted',
  },
  {
    attack: 'a role nobody manages, without adopt',
    input: { roleName: 'hand-made' },
    arrange: async ({ service }) => {
      await service.iam.createRole(
        { accountId: '111122223333', region: 'us-east-1' },
        {
          name: 'hand-made',
          path: '/',
          trustPolicy: grant({
            Action: 'sts:AssumeRole',
            Principal: { Service: 'ec2.amazonaws.com' },
          }),
          tags: {},
        },
      );
    },
    refusal:
      /^role hand-made exists and is not managed by IRSA for Backstage\. /,
  },
  ...['kube-system', 'kube-public', 'kube-node-lease'].map(namespace => ({
    attack: `provision in ${namespace}`,
    input: { namespace },
    refusal: `namespace: ${namespace} belongs to the cluster itself and is refused (list it exactly under irsa.clusters[sandbox].namespaces.allow to open it)`,
  })),
  ...['0.0.0.0/0', '0.0.0.0/1', '::/0', '2600::/16'].map(cidr => ({
    attack: `allowlist ${cidr}`,
    input: { ipAllowList: [cidr] },
    refusal: /^ipAllowList\[0\]: /,
  })),
  {
    attack:
      'a private CIDR under aws:SourceIp (Access Analyzer ERROR, irsa.provisioning.accessAnalyzer)',
    config: { irsa: { provisioning: { accessAnalyzer: true } } },
    input: {
      policy: grant({
        Action: 's3:GetObject',
        Resource: 'arn:aws:s3:::shop/*',
        Condition: { IpAddress: { 'aws:SourceIp': ['10.0.0.0/8'] } },
      }),
    },
    refusal:
      'IAM Access Analyzer (irsa.provisioning.accessAnalyzer) refused: policy: ERROR PRIVATE_IP_ADDRESS at Statement[0].Condition.IpAddress.aws:SourceIp[0]: aws:SourceIp only holds public addresses: 10.0.0.0/8 never match.',
  },
  {
    attack:
      'iam:PassRole on a pattern that the platform accepts, caught by Access Analyzer',
    config: {
      irsa: {
        provisioning: {
          accessAnalyzer: true,
          guardrails: { allowedActions: ['iam:PassRole'] },
        },
      },
    },
    input: {
      policy: grant({
        Action: 'iam:PassRole',
        Resource: 'arn:aws:iam::111122223333:role/shop-*',
      }),
    },
    refusal:
      /^IAM Access Analyzer \(irsa.provisioning.accessAnalyzer\) refused: policy: SECURITY_WARNING PASS_ROLE_WITH_STAR_IN_RESOURCE at Statement\[0\]\.Resource\[0\]: /,
  },
  {
    attack:
      "claim another team's entity to rewrite its existing role, policies and ServiceAccount (irsa.role.create alone)",
    input: { policy: grant({ Action: 's3:*', Resource: '*' }) },
    // The victim's resources exist, provisioned for component:default/cart.
    arrange: async ({ provisioner }) => {
      await provisioner.provision(base);
    },
    mayUpdate: [],
    refusal:
      'entityRef: component:default/cart already has IRSA resources (role, policies, ServiceAccount or association); changing them needs the permission irsa.role.update on it',
  },
  {
    attack: 'Backstage may not patch ServiceAccounts in the namespace (RBAC)',
    input: {},
    arrange: async ({ sandbox }) => {
      sandbox.controls.denyAccess('sandbox', {
        verb: 'patch',
        resource: 'serviceaccounts',
        namespace: 'shop',
      });
    },
    refusal:
      "Backstage's Kubernetes identity on cluster sandbox may not patch serviceaccounts in namespace shop; grant it (see the README's RBAC) before provisioning. Nothing was written",
  },
];

describe('the attack table: each refusal names the rule, and nothing is written', () => {
  it.each(attacks.map(a => [a.attack, a] as const))(
    '%s',
    async (_name, attack) => {
      const s = await setup(attack.config);
      await attack.arrange?.(s);
      s.sandbox.controls.resetCalls();
      const allowed = new Set(attack.mayAdopt ?? []);
      const updatable = attack.mayUpdate && new Set(attack.mayUpdate);
      const error = await s.provisioner
        .provision({ ...base, ...attack.input } as ProvisionInput, {
          caller: {
            mayAdopt: async ref => allowed.has(ref),
            mayUpdate: async ref => !updatable || updatable.has(ref),
          },
        })
        .then(
          () => undefined,
          (e: Error) => e,
        );
      expect(error?.message).toMatch(exactly(attack.refusal));
      expect(s.sandbox.controls.calls.filter(c => c.write)).toEqual([]);
    },
  );
});
