import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { AWS_SIGNED_ACTIONS, AWS_UNSIGNED_ACTIONS } from './index';

/*
 * The README's IAM policy for Backstage's own identity must grant exactly
 * what the gateways can send: no action an adopter must grant for nothing,
 * none the code needs that the policy forgets.
 */

const README = resolve(__dirname, '../../../../../README.md');
const SECTION_START = "What Backstage's own identity needs";
const SECTION_END = '- **Kubernetes RBAC**';

interface PolicyStatement {
  Sid?: string;
  Action: string | string[];
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

/** Every action of the one JSON policy in that section, in order. */
function readmePolicyActions(): string[] {
  const blocks = [
    ...identitySection().matchAll(/```json\n([\s\S]*?)\n\s*```/g),
  ];
  if (blocks.length !== 1) {
    throw new Error(
      `README.md: expected one json block in the identity section, found ${blocks.length}`,
    );
  }
  const policy: { Statement: PolicyStatement[] } = JSON.parse(blocks[0][1]);
  return policy.Statement.flatMap(statement => [statement.Action].flat());
}

const difference = (a: readonly string[], b: readonly string[]) =>
  a.filter(x => !b.includes(x)).sort();

const duplicates = (list: readonly string[]) =>
  list.filter((x, i) => list.indexOf(x) !== i);

describe("README's IAM policy for Backstage's identity", () => {
  it('grants exactly the actions the AWS gateways can send with credentials', () => {
    const granted = readmePolicyActions();
    expect({
      grantedButNeverSent: difference(granted, AWS_SIGNED_ACTIONS),
      sentButNotGranted: difference(AWS_SIGNED_ACTIONS, granted),
      grantedTwice: duplicates(granted),
    }).toEqual({
      grantedButNeverSent: [],
      sentButNotGranted: [],
      grantedTwice: [],
    });
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
