import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseAllDocuments } from 'yaml';
import {
  KUBERNETES_REQUESTS,
  type KubernetesRequest,
} from './kubernetesRequests';

/*
 * The README's Kubernetes RBAC for Backstage's own identity must grant
 * exactly what the cluster gateway can send: nothing an adopter grants for
 * nothing, nothing the code sends that the manifests forget.
 */

const README = resolve(__dirname, '../../../../../README.md');
const SECTION_START = '- **Kubernetes RBAC**';
const SECTION_END = '## Development';

interface Rule {
  apiGroups: string[];
  resources: string[];
  verbs: string[];
  resourceNames?: string[];
}

interface Manifest {
  kind: string;
  metadata: { name: string; namespace?: string };
  rules?: Rule[];
  roleRef?: { kind: string; name: string };
  subjects?: unknown[];
}

function rbacSection(): string {
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

/** The manifests of the one yaml block in that section (indented under its list item). */
function readmeManifests(): Manifest[] {
  const blocks = [...rbacSection().matchAll(/( *)```yaml\n([\s\S]*?)\n *```/g)];
  if (blocks.length !== 1) {
    throw new Error(
      `README.md: expected one yaml block in the RBAC section, found ${blocks.length}`,
    );
  }
  const [, indent, body] = blocks[0];
  const yaml = body
    .split('\n')
    .map(line => line.slice(indent.length))
    .join('\n');
  return parseAllDocuments(yaml).map(doc => {
    if (doc.errors.length) throw doc.errors[0];
    return doc.toJS() as Manifest;
  });
}

/** One grant as a sentence, so a difference reads plainly. */
const grant = (
  group: string,
  resource: string,
  verb: string,
  namespace?: string,
  resourceNames?: string[],
) =>
  [
    `${verb} ${group ? `${group}/` : ''}${resource}`,
    namespace ? `in ${namespace}` : 'in any namespace',
    resourceNames ? `named ${[...resourceNames].sort().join(',')}` : '',
  ]
    .filter(Boolean)
    .join(' ');

function readmeGrants(): string[] {
  return readmeManifests()
    .filter(m => m.kind === 'ClusterRole' || m.kind === 'Role')
    .flatMap(role =>
      (role.rules ?? []).flatMap(rule =>
        rule.apiGroups.flatMap(group =>
          rule.resources.flatMap(resource =>
            rule.verbs.map(verb =>
              grant(
                group,
                resource,
                verb,
                role.kind === 'Role' ? role.metadata.namespace : undefined,
                rule.resourceNames,
              ),
            ),
          ),
        ),
      ),
    );
}

const requestGrant = (r: KubernetesRequest) =>
  grant(r.group, r.resource, r.verb, r.namespace, r.resourceNames);

const difference = (a: readonly string[], b: readonly string[]) =>
  a.filter(x => !b.includes(x)).sort();

const duplicates = (list: readonly string[]) =>
  list.filter((x, i) => list.indexOf(x) !== i);

describe("README's Kubernetes RBAC for Backstage's identity", () => {
  const needed = KUBERNETES_REQUESTS.filter(r => !r.grantedByDefault).map(
    requestGrant,
  );

  it('grants exactly the requests the cluster gateway can send', () => {
    const granted = readmeGrants();
    expect({
      grantedButNeverSent: difference(granted, needed),
      sentButNotGranted: difference(needed, granted),
      grantedTwice: duplicates(granted),
    }).toEqual({
      grantedButNeverSent: [],
      sentButNotGranted: [],
      grantedTwice: [],
    });
  });

  it('binds every role it defines', () => {
    const manifests = readmeManifests();
    const roles = manifests.filter(
      m => m.kind === 'ClusterRole' || m.kind === 'Role',
    );
    const bindings = manifests.filter(
      m => m.kind === 'ClusterRoleBinding' || m.kind === 'RoleBinding',
    );
    expect(roles.length).toBeGreaterThan(0);
    for (const role of roles) {
      const bound = bindings.filter(
        b =>
          b.roleRef?.kind === role.kind &&
          b.roleRef.name === role.metadata.name &&
          b.metadata.namespace === role.metadata.namespace &&
          (b.subjects ?? []).length > 0,
      );
      expect([role.metadata.name, bound.length]).toEqual([
        role.metadata.name,
        1,
      ]);
    }
  });

  it('names the requests Kubernetes grants by default instead of granting them', () => {
    const byDefault = KUBERNETES_REQUESTS.filter(r => r.grantedByDefault);
    expect(byDefault.map(r => r.operation)).toEqual([
      'k8s:create selfsubjectaccessreviews',
    ]);
    for (const r of byDefault) {
      expect(rbacSection()).toContain(
        `\`${r.resource}\` \`${r.verb}\` is granted to every authenticated`,
      );
      expect(readmeGrants()).not.toContain(requestGrant(r));
    }
  });

  it('declares every operation once', () => {
    expect(duplicates(KUBERNETES_REQUESTS.map(r => r.operation))).toEqual([]);
  });
});
