import {
  CHECK_TITLES,
  EKS_ROLE_ARN_ANNOTATION,
  findAdminEquivalentGrants,
  iamWildcardToRegExp,
  parseRoleArn,
  type AllowlistEntry,
  type AttachedPolicy,
  type CheckId,
  type CheckResult,
  type EvidenceValue,
  type PolicyStatement,
} from '@backstage-irsa/plugin-irsa-common';
import { GatewayError } from '../gateways/errors';
import type { ClusterFacts } from '../service/types';
import { bindingEvidence } from './binding';
import { cidrContains } from './cidr';
import { shellQuote } from './shell';
import {
  describeFailure,
  safeCode,
  type Evidence,
  type Source,
} from './sources';

/** What a check decides, before id and duration are added. */
export type Outcome = Omit<CheckResult, 'id' | 'durationMs'>;

type Sources = Exclude<
  {
    [K in keyof Evidence]-?: Evidence[K] extends Source<unknown> ? K : never;
  }[keyof Evidence],
  undefined
>;

interface CheckDefinition {
  id: CheckId;
  /** Checks that must pass (or warn) for this one to mean anything. */
  requires: CheckId[];
  /** Sources it reads: when one is unreadable the check is `unknown`. */
  reads: Sources[];
  /**
   * It shows something of the role or ServiceAccount (documents, tags,
   * annotations, pods, a token exchange), so it runs only once the binding
   * passed (or, with requireBinding off, warned).
   */
  needsBinding: boolean;
  run(evidence: Evidence): Outcome;
}

const value = <T>(source: Source<T>): T => (source as { value: T }).value;
const list = (v: string | string[] | undefined) =>
  v === undefined ? [] : [v].flat();
const json = (v: unknown) =>
  JSON.parse(JSON.stringify(v ?? null)) as EvidenceValue;

// Keys people type instead of eks.amazonaws.com/role-arn.
const ROLE_ARN_TYPO =
  /^(eks\.amazon(aws)?\.com|eks\.aws\.com|amazonaws\.com)\/(role-?arn|rolearn|role_arn|role)$/i;

function webIdentityStatements(e: Evidence): PolicyStatement[] {
  return value(e.role)!.trustPolicy.Statement.filter(
    s =>
      s.Effect === 'Allow' &&
      list(s.Action).some(
        a =>
          a === 'sts:AssumeRoleWithWebIdentity' || a === 'sts:*' || a === '*',
      ),
  );
}

function trustedStatements(e: Evidence): PolicyStatement[] {
  const facts = value(e.facts);
  return webIdentityStatements(e).filter(s => {
    const principal = s.Principal;
    return (
      principal !== undefined &&
      principal !== '*' &&
      list(principal.Federated).includes(facts.oidcProviderArn)
    );
  });
}

/** The condition values for a key under each operator of the trust statements. */
function conditionValues(statements: PolicyStatement[], key: string) {
  const found: Array<{ operator: string; values: string[] }> = [];
  for (const statement of statements) {
    for (const [operator, block] of Object.entries(statement.Condition ?? {})) {
      if (key in block)
        found.push({ operator, values: list(block[key] as string | string[]) });
    }
  }
  return found;
}

function expectedSubject(e: Evidence) {
  return `system:serviceaccount:${e.namespace}:${e.serviceAccountName}`;
}

function isAllowlist(policy: AttachedPolicy): boolean {
  return Boolean(
    policy.document?.Statement.some(
      s =>
        s.Effect === 'Deny' &&
        Object.values(s.Condition ?? {}).some(block => 'aws:SourceIp' in block),
    ),
  );
}

/** Allowlist entries of a policy compared with the cluster's egress facts. */
export function compareAllowlist(
  policy: AttachedPolicy | undefined,
  facts: ClusterFacts,
): AllowlistEntry[] {
  const deny =
    policy?.document?.Statement.filter(s => s.Effect === 'Deny') ?? [];
  const cidrs = conditionValues(deny, 'aws:SourceIp').flatMap(c => c.values);
  const vpcs = conditionValues(deny, 'aws:SourceVpc').flatMap(c => c.values);
  const entries: AllowlistEntry[] = cidrs.map(cidr => ({
    value: cidr,
    kind: 'cidr',
    source: facts.natPublicIps.some(ip => cidrContains(cidr, ip))
      ? 'nat'
      : 'extra',
    state: 'covered',
  }));
  for (const ip of facts.natPublicIps) {
    if (!cidrs.some(cidr => cidrContains(cidr, ip))) {
      entries.push({
        value: `${ip}/32`,
        kind: 'cidr',
        source: 'nat',
        state: 'missing',
      });
    }
  }
  for (const vpc of vpcs)
    entries.push({ value: vpc, kind: 'vpc', source: 'vpc', state: 'covered' });
  if (facts.vpcId && !vpcs.includes(facts.vpcId)) {
    entries.push({
      value: facts.vpcId,
      kind: 'vpc',
      source: 'vpc',
      state: 'missing',
    });
  }
  return entries;
}

const q = shellQuote;

const TEMPLATE_HINT =
  'run the IRSA template (aws:irsa:create) for this entity to create the role and annotate the ServiceAccount';

/** `kubectl annotate ...` for the known, well-formed role ARN; undefined without one. */
function annotateCommand(e: Evidence): string | undefined {
  if (!e.roleArn) return undefined;
  return `kubectl annotate serviceaccount -n ${q(e.namespace)} ${q(e.serviceAccountName)} ${EKS_ROLE_ARN_ANNOTATION}=${q(e.roleArn)} --overwrite`;
}

function roleUnknown(e: Evidence): Outcome {
  return {
    status: 'fail',
    message: e.roleArnProblem
      ? `The role ARN is not valid: ${e.roleArnProblem}`
      : `Role unknown: the entity has no irsa.dev/role-arn, the ServiceAccount no ${EKS_ROLE_ARN_ANNOTATION}, and no role named ${e.defaultRoleName} exists`,
    evidence: { roleArnSource: e.roleArnSource },
    remediation: e.roleArnProblem
      ? `Correct irsa.dev/role-arn (arn:aws:iam::ACCOUNT:role/NAME), or ${TEMPLATE_HINT}`
      : `No role yet: ${TEMPLATE_HINT}; or set irsa.dev/role-arn in catalog-info.yaml`,
  };
}

const CHECKS: CheckDefinition[] = [
  {
    id: 'binding',
    requires: [],
    reads: ['binding'],
    needsBinding: false,
    run(e): Outcome {
      const binding = value(e.binding);
      const evidence = bindingEvidence(binding);
      if (binding.proven) {
        const last = binding.rules[binding.rules.length - 1];
        return {
          status: 'pass',
          message: `Entity, ServiceAccount and role belong together (${last.detail})`,
          evidence,
        };
      }
      const first = binding.rules.find(r => !r.ok)!;
      return {
        status: e.requireBinding ? 'fail' : 'warn',
        message: `Not bound to this entity: ${first.detail}${e.requireBinding ? '' : ' (irsa.verification.requireBinding is off: the other checks still run)'}`,
        evidence,
        remediation: binding.remediation,
      };
    },
  },
  {
    id: 'oidc-provider',
    requires: [],
    reads: ['facts', 'provider'],
    needsBinding: false,
    run(e): Outcome {
      const facts = value(e.facts);
      const provider = value(e.provider);
      const evidence = {
        issuer: facts.issuer,
        expectedProviderArn: facts.oidcProviderArn,
        clientIds: json(provider?.clientIds),
      };
      if (!provider) {
        return {
          status: 'fail',
          message: `No IAM OIDC provider exists for the cluster's issuer ${facts.issuer}`,
          evidence,
          remediation: `Create it: eksctl utils associate-iam-oidc-provider --cluster ${q(facts.cluster)} --region ${q(facts.region)} --approve (or aws iam create-open-id-connect-provider --url ${q(`https://${facts.issuer}`)} --client-id-list ${q(e.audience)})`,
        };
      }
      if (!provider.clientIds.includes(e.audience)) {
        return {
          status: 'fail',
          message: `The OIDC provider does not list the audience ${e.audience}`,
          evidence,
          remediation: `aws iam add-client-id-to-open-id-connect-provider --open-id-connect-provider-arn ${q(provider.arn)} --client-id ${q(e.audience)}`,
        };
      }
      return {
        status: 'pass',
        message: `OIDC provider for ${facts.issuer} exists and lists ${e.audience}`,
        evidence,
      };
    },
  },
  {
    id: 'role',
    requires: [],
    reads: ['facts', 'role'],
    needsBinding: true,
    run(e): Outcome {
      const facts = value(e.facts);
      if (!e.roleArn) return roleUnknown(e);
      const parsed = parseRoleArn(e.roleArn, 'role ARN');
      const evidence = {
        roleArn: e.roleArn,
        roleArnSource: e.roleArnSource,
        roleAccountId: parsed.accountId,
        clusterAccountId: facts.accountId,
      };
      if (parsed.accountId !== facts.accountId) {
        return {
          status: 'fail',
          message: `The role is in account ${parsed.accountId}, the cluster in ${facts.accountId}`,
          evidence,
          remediation: `IRSA roles live in the cluster's account (${facts.accountId}); create the role there or correct the ARN`,
        };
      }
      const role = value(e.role);
      if (!role) {
        return {
          status: 'fail',
          message: `The role ${parsed.roleName} does not exist in account ${parsed.accountId}`,
          evidence,
          remediation: `To re-create it, ${TEMPLATE_HINT}; or point irsa.dev/role-arn and the ServiceAccount annotation at an existing role`,
        };
      }
      return {
        status: 'pass',
        message: `Role ${role.name} exists`,
        evidence: {
          ...evidence,
          roleId: role.roleId,
          createDate: role.createDate,
          tags: json(role.tags),
        },
      };
    },
  },
  {
    id: 'trust-principal',
    needsBinding: true,
    requires: ['role'],
    reads: ['facts', 'role'],
    run(e): Outcome {
      const facts = value(e.facts);
      const principals = webIdentityStatements(e).flatMap(s =>
        s.Principal && s.Principal !== '*'
          ? list(s.Principal.Federated)
          : ['*'],
      );
      const evidence = { expected: facts.oidcProviderArn, found: principals };
      if (trustedStatements(e).length) {
        return {
          status: 'pass',
          message: "The trust policy trusts the cluster's OIDC provider",
          evidence,
        };
      }
      return {
        status: 'fail',
        message: principals.length
          ? `The trust policy trusts ${principals.join(', ')}, not this cluster's OIDC provider`
          : 'The trust policy has no Allow for sts:AssumeRoleWithWebIdentity',
        evidence,
        remediation: `Set the trust statement's Principal to {"Federated": "${facts.oidcProviderArn}"} with Action sts:AssumeRoleWithWebIdentity`,
      };
    },
  },
  {
    id: 'trust-subject',
    needsBinding: true,
    requires: ['trust-principal'],
    reads: ['facts', 'role'],
    run(e): Outcome {
      const facts = value(e.facts);
      const key = `${facts.issuer}:sub`;
      const expected = expectedSubject(e);
      const found = conditionValues(trustedStatements(e), key);
      const evidence = { conditionKey: key, expected, found: json(found) };
      const remediation = `Use the condition "StringEquals": {"${key}": "${expected}"}`;
      if (!found.length) {
        return {
          status: 'fail',
          message: `The trust policy has no ${key} condition: any ServiceAccount in the cluster could assume the role`,
          evidence,
          remediation,
        };
      }
      const exact = found.find(
        f => f.operator === 'StringEquals' && f.values.includes(expected),
      );
      if (exact)
        return {
          status: 'pass',
          message: `Trusts exactly ${expected}`,
          evidence,
        };
      const literalStar = found.find(
        f =>
          f.operator === 'StringEquals' && f.values.some(v => v.includes('*')),
      );
      if (literalStar) {
        return {
          status: 'fail',
          message: `StringEquals treats * literally: "${literalStar.values.join(', ')}" matches no ServiceAccount`,
          evidence,
          remediation,
        };
      }
      const like = found.find(
        f =>
          f.operator === 'StringLike' &&
          f.values.some(v => iamWildcardToRegExp(v).test(expected)),
      );
      if (like) {
        return {
          status: 'warn',
          message: `A wildcard subject (${like.values.join(', ')}) also trusts other ServiceAccounts`,
          evidence,
          remediation,
        };
      }
      return {
        status: 'fail',
        message: `The trust policy's ${key} is ${found.flatMap(f => f.values).join(', ')}, not ${expected}`,
        evidence,
        remediation,
      };
    },
  },
  {
    id: 'trust-audience',
    needsBinding: true,
    requires: ['trust-principal'],
    reads: ['facts', 'role'],
    run(e): Outcome {
      const facts = value(e.facts);
      const key = `${facts.issuer}:aud`;
      const expected = e.audience;
      const found = conditionValues(trustedStatements(e), key);
      const evidence = { conditionKey: key, expected, found: json(found) };
      const remediation = `Add "${key}": "${expected}" to the trust statement's StringEquals`;
      if (!found.length) {
        return {
          status: 'warn',
          message: `The trust policy does not pin ${key} to ${expected}`,
          evidence,
          remediation,
        };
      }
      if (found.some(f => f.values.includes(expected))) {
        return { status: 'pass', message: `Audience is ${expected}`, evidence };
      }
      return {
        status: 'fail',
        message: `The trust policy expects audience ${found.flatMap(f => f.values).join(', ')}, tokens carry ${expected}`,
        evidence,
        remediation,
      };
    },
  },
  {
    id: 'service-account',
    requires: [],
    reads: ['serviceAccount'],
    needsBinding: true,
    run(e): Outcome {
      const account = value(e.serviceAccount);
      const ref = `${e.namespace}/${e.serviceAccountName}`;
      if (!account) {
        return {
          status: 'fail',
          message: `ServiceAccount ${ref} does not exist`,
          evidence: { serviceAccount: ref },
          remediation: annotateCommand(e)
            ? `kubectl create serviceaccount -n ${q(e.namespace)} ${q(e.serviceAccountName)} && ${annotateCommand(e)}`
            : `No role or ServiceAccount yet: ${TEMPLATE_HINT}`,
        };
      }
      const annotation = account.annotations[EKS_ROLE_ARN_ANNOTATION];
      const typos = Object.keys(account.annotations).filter(
        k => k !== EKS_ROLE_ARN_ANNOTATION && ROLE_ARN_TYPO.test(k),
      );
      const evidence = {
        serviceAccount: ref,
        annotations: json(account.annotations),
        expectedRoleArn: e.roleArn ?? null,
      };
      if (!annotation) {
        return {
          status: 'fail',
          message: typos.length
            ? `The annotation is misspelt as ${typos.join(', ')}; the webhook only reads ${EKS_ROLE_ARN_ANNOTATION}`
            : `ServiceAccount ${ref} has no ${EKS_ROLE_ARN_ANNOTATION} annotation`,
          evidence,
          remediation:
            annotateCommand(e) ??
            `No role to annotate with yet: ${TEMPLATE_HINT}`,
        };
      }
      const command = annotateCommand(e);
      if (command && annotation !== e.roleArn) {
        return {
          status: 'fail',
          message: `The ServiceAccount points to ${annotation}, the entity to ${e.roleArn}`,
          evidence,
          remediation: `${command} (or correct irsa.dev/role-arn)`,
        };
      }
      return {
        status: 'pass',
        message: `ServiceAccount ${ref} is annotated with the role`,
        evidence,
      };
    },
  },
  {
    id: 'pod-injection',
    requires: ['service-account'],
    reads: ['pods'],
    needsBinding: true,
    run(e): Outcome {
      const pods = value(e.pods).filter(
        p => p.phase === 'Running' || p.phase === 'Pending',
      );
      if (!pods.length) {
        return {
          status: 'pass',
          message:
            'No running pods yet; pods started from now on get the credentials injected',
          evidence: { pods: [] },
        };
      }
      const stale = pods.filter(p =>
        p.containers.some(
          c =>
            c.env.AWS_ROLE_ARN !== e.roleArn ||
            !c.env.AWS_WEB_IDENTITY_TOKEN_FILE,
        ),
      );
      const evidence = {
        pods: pods.map(p => ({
          name: p.name,
          createdAt: p.creationTimestamp,
          roleArn: p.containers[0]?.env.AWS_ROLE_ARN ?? null,
          tokenFile: p.containers[0]?.env.AWS_WEB_IDENTITY_TOKEN_FILE ?? null,
        })),
      };
      if (stale.length) {
        const names = stale.map(p => p.name);
        return {
          status: 'fail',
          message: `Restart needed: ${names.join(', ')} started before the ServiceAccount was annotated and have no (or an old) AWS_ROLE_ARN`,
          evidence,
          remediation: `kubectl rollout restart deployment -n ${q(e.namespace)} DEPLOYMENT   (the deployment of these pods; or: kubectl delete pod -n ${q(e.namespace)} ${names.map(q).join(' ')})`,
        };
      }
      return {
        status: 'pass',
        message: `All ${pods.length} pods have AWS_ROLE_ARN and AWS_WEB_IDENTITY_TOKEN_FILE`,
        evidence,
      };
    },
  },
  {
    id: 'permissions',
    requires: ['role'],
    reads: ['policies'],
    needsBinding: true,
    run(e): Outcome {
      const policies = value(e.policies);
      const granting = policies.filter(
        p =>
          !isAllowlist(p) &&
          p.document?.Statement.some(s => s.Effect === 'Allow'),
      );
      const evidence = { policies: policies.map(p => `${p.kind}: ${p.name}`) };
      if (!granting.length) {
        return {
          status: 'fail',
          message:
            'The role has no permissions policy: every AWS call will be AccessDenied',
          evidence,
          remediation:
            "Attach the service's permissions (re-run aws:irsa:create with policy or managedPolicyArns)",
        };
      }
      const grants = granting.flatMap(p =>
        findAdminEquivalentGrants(p.document!, e.guardrails).map(
          r => `${p.name}: ${r}`,
        ),
      );
      if (grants.length) {
        return {
          status: 'warn',
          message: `Grants the guardrails flag: ${grants.join('; ')}`,
          evidence: { ...evidence, adminEquivalent: grants },
          remediation:
            'Scope the actions and resources to what the service uses',
        };
      }
      return {
        status: 'pass',
        message: `${granting.length} permissions ${granting.length === 1 ? 'policy' : 'policies'} attached`,
        evidence,
      };
    },
  },
  {
    id: 'allowlist',
    requires: ['role'],
    reads: ['policies', 'facts'],
    needsBinding: true,
    run(e): Outcome {
      const facts = value(e.facts);
      const policy = value(e.policies).find(isAllowlist);
      const entries = compareAllowlist(policy, facts);
      const evidence = {
        policy: policy?.name ?? null,
        natPublicIps: facts.natPublicIps,
        natPublicIpSource: facts.natPublicIpSource,
        vpcId: facts.vpcId,
        entries: json(entries),
      };
      if (!policy) {
        return {
          status: 'fail',
          message:
            'No IP allowlist policy is attached: the credentials work from anywhere',
          evidence,
          remediation:
            'Re-run aws:irsa:create to attach the allowlist policy (a Deny on NotIpAddressIfExists aws:SourceIp and StringNotEqualsIfExists aws:SourceVpc)',
        };
      }
      const missing = entries.filter(x => x.state === 'missing');
      if (missing.length) {
        return {
          status: 'fail',
          message: `The allowlist misses ${missing.map(m => m.value).join(', ')}: calls from there are denied`,
          evidence,
          remediation: `Add ${missing.map(m => `${m.value} (${m.kind === 'vpc' ? 'aws:SourceVpc' : 'aws:SourceIp'})`).join(', ')} to ${policy.name}, or re-run aws:irsa:create`,
        };
      }
      if (facts.natPublicIpSource === 'none') {
        return {
          status: 'warn',
          message:
            'No NAT gateway IPs were found for the cluster subnets: the allowlist cannot be compared',
          evidence,
          remediation: 'Set irsa.clusters[].natPublicIps in app-config',
        };
      }
      return {
        status: 'pass',
        message: `Covers the ${facts.natPublicIps.length} NAT IPs and the VPC`,
        evidence,
      };
    },
  },
  {
    id: 'credential-exchange',
    requires: [
      'oidc-provider',
      'role',
      'trust-principal',
      'trust-subject',
      'trust-audience',
    ],
    reads: ['exchange'],
    needsBinding: true,
    run(e): Outcome {
      const outcome = value(e.exchange);
      if (outcome instanceof GatewayError) {
        const code = safeCode(outcome.code);
        return {
          status: 'fail',
          message: `AssumeRoleWithWebIdentity was refused: ${code ?? outcome.kind}`,
          evidence: {
            code: code ?? null,
            reason: describeFailure(outcome),
          },
          remediation: `Compare the trust policy with the token: sub system:serviceaccount:${e.namespace}:${e.serviceAccountName}, aud ${e.audience}, Federated = the cluster OIDC provider`,
        };
      }
      return {
        status: 'pass',
        message: `A fresh ServiceAccount token was exchanged for ${outcome.assumedRoleArn}`,
        evidence: {
          assumedRoleArn: outcome.assumedRoleArn,
          subject: outcome.subjectFromWebIdentityToken ?? null,
          audience: outcome.audience ?? null,
        },
      };
    },
  },
  {
    id: 'cloudtrail',
    requires: ['role'],
    reads: ['cloudTrail'],
    needsBinding: true,
    run(e): Outcome {
      const failures = value(e.cloudTrail).filter(x => x.errorCode);
      const window = `the last ${e.cloudTrailLookbackMinutes} minutes (management events only)`;
      if (!failures.length) {
        return {
          status: 'pass',
          message: `No failed calls in ${window}`,
          evidence: { events: [] },
        };
      }
      return {
        status: 'warn',
        message: `${failures.length} failed call${failures.length === 1 ? '' : 's'} in ${window}: ${[...new Set(failures.map(f => `${f.eventName} ${safeCode(f.errorCode) ?? 'error'}`))].join(', ')}`,
        // Only what identifies the call: CloudTrail's free-text messages can
        // carry other accounts' ARNs.
        evidence: {
          events: failures.slice(0, 20).map(f => ({
            eventTime: f.eventTime,
            eventName: f.eventName,
            eventSource: f.eventSource,
            errorCode: safeCode(f.errorCode) ?? null,
          })),
        },
        remediation:
          'Open the events in CloudTrail; AccessDenied on a data call means the permissions policy lacks that action or resource',
      };
    },
  },
];

const SKIP_STATUSES = new Set(['fail', 'skipped', 'unknown']);

/** Runs the checks in order; prerequisites that did not pass make dependents `skipped`. */
export function runChecks(
  evidence: Evidence,
  onCheck?: (check: CheckResult) => void,
): CheckResult[] {
  const results = new Map<CheckId, CheckResult>();
  for (const check of CHECKS) {
    const durationMs = Math.max(
      0,
      ...check.reads.map(r => (evidence[r] as Source<unknown>).ms),
    );
    const blocked = check.requires.filter(r =>
      SKIP_STATUSES.has(results.get(r)!.status),
    );
    let outcome: Outcome;
    const unreadable = check.reads
      .map(r => evidence[r] as Source<unknown>)
      .find(s => !s.ok);
    const binding = results.get('binding')?.status;
    if (check.needsBinding && binding !== 'pass' && binding !== 'warn') {
      outcome = {
        status: 'skipped',
        message:
          binding === 'fail'
            ? 'Not shown: role not bound to this entity'
            : 'Not shown: the binding could not be checked',
        evidence: {},
      };
    } else if (blocked.length) {
      outcome = {
        status: 'skipped',
        message: `Skipped: ${blocked.map(b => CHECK_TITLES[b]).join(', ')} did not pass`,
        evidence: {},
      };
    } else if (unreadable && !unreadable.ok) {
      outcome = {
        status: 'unknown',
        message: `Could not check: ${unreadable.reason}`,
        evidence: {},
      };
    } else {
      outcome = check.run(evidence);
    }
    const result: CheckResult = { id: check.id, ...outcome, durationMs };
    results.set(check.id, result);
    onCheck?.(result);
  }
  return [...results.values()];
}
