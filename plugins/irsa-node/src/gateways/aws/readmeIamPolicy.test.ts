import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import {
  AWS_IMPLIED_PERMISSIONS,
  AWS_SIGNED_ACTIONS,
  AWS_UNSIGNED_ACTIONS,
  EKS_AUTH_API,
} from './index';
import { awsApiActions } from './AwsApiClient';

/*
 * The README's IAM policy for Backstage's own identity must grant exactly
 * what the gateways can send, plus the permissions AWS checks inside those
 * calls (iam:PassRole for Pod Identity associations, eks:TagResource for
 * creating one with tags): no action an adopter must grant for nothing,
 * none the code needs that the policy forgets.
 */

const README = resolve(__dirname, '../../../../../README.md');
const SECTION_START = "What Backstage's own identity needs";
const SECTION_END = '- **Kubernetes RBAC**';

interface PolicyStatement {
  Sid?: string;
  Effect: string;
  Action: string | string[];
  Resource: string | string[];
  Condition?: Record<string, Record<string, string | string[]>>;
}

/** The section of the README that states what Backstage's identity needs. */
function identitySection(): string {
  const text = readFileSync(README, 'utf8');
  const start = text.indexOf(SECTION_START);
  const end = text.indexOf(SECTION_END, start);
  if (start < 0 || end < 0) {
    throw new Error(
      `README.md: no section from "${SECTION_START}" to "${SECTION_END}"`,
    );
  }
  return text.slice(start, end);
}

/** The statements of the one JSON policy in that section. */
function readmePolicyStatements(): PolicyStatement[] {
  const blocks = [
    ...identitySection().matchAll(/```json\n([\s\S]*?)\n\s*```/g),
  ];
  if (blocks.length !== 1) {
    throw new Error(
      `README.md: expected one json block in the identity section, found ${blocks.length}`,
    );
  }
  const policy: { Statement: PolicyStatement[] } = JSON.parse(blocks[0][1]);
  return policy.Statement;
}

const actionsOf = (statement: PolicyStatement) => [statement.Action].flat();

/** Every action of the README's policy, in order. */
function readmePolicyActions(): string[] {
  return readmePolicyStatements().flatMap(actionsOf);
}

/** The statements that grant `action`. */
const statementsGranting = (action: string) =>
  readmePolicyStatements().filter(s => actionsOf(s).includes(action));

/** What the README calls the role path's roles (the `IrsaProvision` resources). */
const MANAGED_ROLES = 'arn:aws:iam::ACCOUNT:role/irsa/*';
/** Every Pod Identity association of the account, in any region. */
const ASSOCIATIONS = 'arn:aws:eks:*:ACCOUNT:podidentityassociation/*';

const implied = (action: string) =>
  AWS_IMPLIED_PERMISSIONS.filter(p => p.action === action);

const IMPLIED_ACTIONS = AWS_IMPLIED_PERMISSIONS.map(p => p.action);

const difference = (a: readonly string[], b: readonly string[]) =>
  a.filter(x => !b.includes(x)).sort();

const duplicates = (list: readonly string[]) =>
  list.filter((x, i) => list.indexOf(x) !== i);

describe("README's IAM policy for Backstage's identity", () => {
  it('grants exactly the actions the AWS gateways can send with credentials, and the implied ones', () => {
    const granted = readmePolicyActions();
    const needed = [...AWS_SIGNED_ACTIONS, ...IMPLIED_ACTIONS];
    expect({
      grantedButNotNeeded: difference(granted, needed),
      neededButNotGranted: difference(needed, granted),
      grantedTwice: duplicates(granted),
    }).toEqual({
      grantedButNotNeeded: [],
      neededButNotGranted: [],
      grantedTwice: [],
    });
    expect(readmePolicyStatements().map(s => s.Effect)).toEqual(
      readmePolicyStatements().map(() => 'Allow'),
    );
  });

  it('names the permissions AWS checks inside the association writes, each checked by an action the gateways send', () => {
    expect(AWS_IMPLIED_PERMISSIONS).toEqual([
      {
        action: 'iam:PassRole',
        checkedBy: [
          'eks:CreatePodIdentityAssociation',
          'eks:UpdatePodIdentityAssociation',
        ],
        passedToService: 'pods.eks.amazonaws.com',
      },
      {
        action: 'eks:TagResource',
        checkedBy: ['eks:CreatePodIdentityAssociation'],
      },
    ]);
    for (const permission of AWS_IMPLIED_PERMISSIONS)
      for (const action of permission.checkedBy)
        expect(AWS_SIGNED_ACTIONS).toContain(action);
  });

  it('grants iam:PassRole only for the managed roles, only to pods.eks.amazonaws.com', () => {
    const [passRole] = implied('iam:PassRole');
    const statements = statementsGranting('iam:PassRole');
    expect(statements).toHaveLength(1);
    const [statement] = statements;
    expect(actionsOf(statement)).toEqual(['iam:PassRole']);
    expect([statement.Resource].flat()).toEqual([MANAGED_ROLES]);
    expect(statement.Condition).toEqual({
      StringEquals: { 'iam:PassedToService': passRole.passedToService },
    });
    // The managed-role resource is the one the provisioning statement writes to.
    expect([statementsGranting('iam:CreateRole')[0].Resource].flat()).toContain(
      MANAGED_ROLES,
    );
  });

  it('grants eks:TagResource and eks:UntagResource on associations only, never on clusters', () => {
    expect(implied('eks:TagResource')).toHaveLength(1);
    expect(AWS_SIGNED_ACTIONS).toEqual(
      expect.arrayContaining(['eks:TagResource', 'eks:UntagResource']),
    );
    const statements = statementsGranting('eks:TagResource');
    expect(statements).toEqual([
      {
        Sid: 'IrsaTagPodIdentityAssociations',
        Effect: 'Allow',
        Action: ['eks:TagResource', 'eks:UntagResource'],
        Resource: ASSOCIATIONS,
      },
    ]);
    expect(statementsGranting('eks:UntagResource')).toEqual(statements);
    // The association writes' own statement names clusters: tagging stays out of it.
    const [associationWrites] = statementsGranting(
      'eks:CreatePodIdentityAssociation',
    );
    expect([associationWrites.Resource].flat()).toEqual([
      'arn:aws:eks:*:ACCOUNT:cluster/*',
      ASSOCIATIONS,
    ]);
    expect(identitySection().replace(/\s+/g, ' ')).toContain(
      'EKS checks `eks:TagResource` when an association is created with tags',
    );
  });

  it('keeps the EKS Auth exchange in its own statement, which the README calls optional', () => {
    const exchange = awsApiActions(EKS_AUTH_API);
    expect(exchange).toEqual(['eks-auth:AssumeRoleForPodIdentity']);
    const statements = statementsGranting(exchange[0]);
    expect(statements).toHaveLength(1);
    expect(statements[0]).toEqual({
      Sid: 'IrsaPodIdentityExchange',
      Effect: 'Allow',
      Action: 'eks-auth:AssumeRoleForPodIdentity',
      Resource: 'arn:aws:eks:*:ACCOUNT:cluster/*',
    });
    expect(identitySection().replace(/\s+/g, ' ')).toContain(
      '`IrsaPodIdentityExchange` is optional: it is needed only with `irsa.verification.podIdentityExchange: true`',
    );
  });

  it('names the unsigned actions as needing no permission, and grants none of them', () => {
    expect(AWS_UNSIGNED_ACTIONS).toEqual(['sts:AssumeRoleWithWebIdentity']);
    for (const action of AWS_UNSIGNED_ACTIONS) {
      expect(identitySection()).toContain(
        `\`${action}\` is called unsigned: it needs no permission.`,
      );
    }
    expect(difference(readmePolicyActions(), AWS_UNSIGNED_ACTIONS)).toEqual(
      readmePolicyActions().sort(),
    );
  });

  it('lists every gateway action once', () => {
    expect(
      duplicates([...AWS_SIGNED_ACTIONS, ...AWS_UNSIGNED_ACTIONS]),
    ).toEqual([]);
  });
});
