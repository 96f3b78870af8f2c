import type { IdentityMechanism } from './podIdentity';
/**
 * The verification report: what the IAM card shows and what the store keeps.
 * docs/architecture.md (section 3) describes the checks; their ids are stable API.
 */

/** Outcome of one check. `unknown` means the check could not run; it is never a pass. */
export type CheckStatus = 'pass' | 'warn' | 'fail' | 'unknown' | 'skipped';

/** Every check status, in display order. */
export const CHECK_STATUSES: readonly CheckStatus[] = [
  'pass',
  'warn',
  'fail',
  'unknown',
  'skipped',
];

/**
 * The built-in checks, in the order they are registered and run (a
 * verification runs those of its mechanism and those for both). Adopters
 * add their own (irsa-node's `irsaChecksExtensionPoint`); a report may carry
 * any check id, so code reading reports takes ids as strings. `binding` runs first: no
 * other check reads a role's documents or mints a token until it has proven
 * that entity, ServiceAccount and role belong together.
 */
export const CHECK_IDS = [
  'binding',
  'oidc-provider',
  'role',
  'trust-principal',
  'trust-subject',
  'trust-audience',
  'service-account',
  'pod-injection',
  'pod-identity-agent',
  'pod-identity-platform',
  'pod-identity-association',
  'pod-identity-trust',
  'pod-identity-injection',
  'conflict',
  'shadowing',
  'permissions',
  'allowlist',
  'credential-exchange',
  'pod-identity-exchange',
  'cloudtrail',
] as const;

/** Identifier of a built-in check. */
export type CheckId = (typeof CHECK_IDS)[number];

/**
 * Titles of the built-in checks. Reports carry each check's title; this
 * table names built-in checks in reports stored before they did.
 */
export const CHECK_TITLES: Record<CheckId, string> = {
  binding: 'Ownership binding',
  'oidc-provider': 'OIDC provider',
  role: 'IAM role',
  'trust-principal': 'Trust principal',
  'trust-subject': 'Trust subject',
  'trust-audience': 'Trust audience',
  'service-account': 'ServiceAccount annotation',
  'pod-injection': 'Pod credential injection',
  'pod-identity-agent': 'Pod Identity agent',
  'pod-identity-platform': 'Pod Identity platform',
  'pod-identity-association': 'Pod Identity association',
  'pod-identity-trust': 'Pod Identity trust',
  'pod-identity-injection': 'Pod Identity injection',
  conflict: 'IRSA and Pod Identity conflict',
  shadowing: 'Credential shadowing',
  permissions: 'Permissions policies',
  allowlist: 'IP allowlist',
  'credential-exchange': 'Live credential exchange',
  'pod-identity-exchange': 'Live Pod Identity exchange',
  cloudtrail: 'CloudTrail errors',
};

/** JSON-serialisable evidence a check looked at. */
export type EvidenceValue =
  | string
  | number
  | boolean
  | null
  | EvidenceValue[]
  | { [key: string]: EvidenceValue };

/**
 * What a check applies to: an IRSA ServiceAccount, an EKS Pod Identity
 * association, or both.
 */
export type CheckMechanism = 'irsa' | 'pod-identity' | 'any';

/** The result of one check. */
export interface CheckResult {
  /** A built-in id (`CHECK_IDS`) or an adopter's own. */
  id: string;
  /**
   * What the card and the task log call the check. Reports stored before
   * checks were pluggable lack it; read it through `checkTitle`.
   */
  title?: string;
  /** What the check applies to (absent on reports stored before it existed). */
  mechanism?: CheckMechanism;
  status: CheckStatus;
  /** One line a developer reads first. */
  message: string;
  /** What the check looked at, shown expandable on the card. Never secrets. */
  evidence: { [key: string]: EvidenceValue };
  /** What to do about a non-passing result (an annotation, a command, a condition). */
  remediation?: string;
  durationMs: number;
}

/**
 * A check result's title: its own, else the built-in title for its id (older
 * reports), else the id itself, so a check nobody has heard of still renders.
 */
export function checkTitle(check: Pick<CheckResult, 'id' | 'title'>): string {
  if (check.title) return check.title;
  return Object.hasOwn(CHECK_TITLES, check.id)
    ? CHECK_TITLES[check.id as CheckId]
    : check.id;
}

/** Overall status of a report. */
export type OverallStatus = 'pass' | 'warn' | 'fail' | 'unknown';

/** What started a verification. */
export type VerificationTrigger = 'manual' | 'schedule' | 'provision';

/** One IAM policy statement, as IAM stores it. */
export interface PolicyStatement {
  Sid?: string;
  Effect: 'Allow' | 'Deny';
  Principal?: '*' | { [key: string]: string | string[] };
  NotPrincipal?: '*' | { [key: string]: string | string[] };
  Action?: string | string[];
  NotAction?: string | string[];
  Resource?: string | string[];
  NotResource?: string | string[];
  Condition?: {
    [operator: string]: { [key: string]: string | string[] | boolean };
  };
}

/** An IAM policy document. */
export interface PolicyDocument {
  Version: '2012-10-17' | '2008-10-17';
  Id?: string;
  Statement: PolicyStatement[];
}

/** A policy attached to the role, as listed on the card. */
export interface AttachedPolicy {
  kind: 'managed' | 'inline';
  name: string;
  /** Managed policies only. */
  arn?: string;
  /** Managed policies only: true for `arn:<partition>:iam::aws:policy/...`. */
  awsManaged?: boolean;
  /** What this policy is for, when it is one of ours. */
  purpose?: 'permissions' | 'allowlist' | 'other';
  /** Default version id (managed) */
  versionId?: string;
  /** The document (managed: default version), decoded. */
  document?: PolicyDocument;
}

/** One allowlist entry compared against the cluster's facts. */
export interface AllowlistEntry {
  /** A CIDR (`aws:SourceIp`) or a VPC id (`aws:SourceVpc`). */
  value: string;
  kind: 'cidr' | 'vpc';
  /** Where the entry comes from: a NAT gateway EIP, the cluster VPC, or extra CIDRs asked for. */
  source: 'nat' | 'vpc' | 'extra';
  /** `missing`: the cluster needs it and the policy lacks it. */
  state: 'covered' | 'missing';
}

/** Where a report was made: the embedded sandbox (demo data) or real AWS. */
export type VerificationEnvironment = 'sandbox' | 'aws';

/** Everything the card shows for one entity. */
export interface VerificationReport {
  entityRef?: string;
  /**
   * Where the report was made. Every new report carries it; reports stored
   * before it existed lack it.
   */
  environment?: VerificationEnvironment;
  /** True when the run was cancelled; the checks it did not finish are `unknown`. */
  aborted?: boolean;
  cluster: string;
  namespace: string;
  serviceAccount: string;
  roleArn?: string;
  roleName?: string;
  accountId?: string;
  region?: string;
  roleLastUsed?: { lastUsedDate?: string; region?: string };
  /**
   * How the workload gets its role (absent on reports stored before Pod
   * Identity: those are IRSA).
   */
  mechanism?: IdentityMechanism;
  /** Set while a migration between mechanisms is under way. */
  migration?: {
    from: IdentityMechanism;
    to: IdentityMechanism;
    /** Running pods still on the old mechanism, of all running pods. */
    podsOnOld: number;
    pods: number;
  };
  /** The Pod Identity association, when there is one for the ServiceAccount. */
  podIdentityAssociationId?: string;
  policies: AttachedPolicy[];
  allowlist: AllowlistEntry[];
  checks: CheckResult[];
  status: OverallStatus;
  /** ISO 8601 */
  verifiedAt: string;
  durationMs: number;
  trigger: VerificationTrigger;
}

/** A past report, summarised for the history list. */
export interface ReportSummary {
  status: OverallStatus;
  verifiedAt: string;
  durationMs: number;
  trigger: VerificationTrigger;
  counts: Record<CheckStatus, number>;
  /**
   * The checks that did not pass or skip (fail, warn, unknown), in report
   * order. Absent on summaries made before it existed.
   */
  failingChecks?: string[];
}

/** Body of `GET /v1/entities/:kind/:namespace/:name`. */
export interface StoredReportResponse {
  report: VerificationReport;
  /** Older than the schedule interval. */
  stale: boolean;
}

/** Body of `GET /v1/entities/:kind/:namespace/:name/history`. */
export interface ReportHistoryResponse {
  items: ReportSummary[];
}

/**
 * The overall status of a set of checks: any fail is a fail; a check that
 * could not run makes the whole unknown (never a pass); warnings come next.
 */
export function overallStatus(checks: readonly CheckResult[]): OverallStatus {
  const has = (s: CheckStatus) => checks.some(c => c.status === s);
  if (has('fail')) return 'fail';
  if (has('unknown')) return 'unknown';
  if (has('warn')) return 'warn';
  return 'pass';
}

/** Counts of checks per status. */
export function countStatuses(
  checks: readonly CheckResult[],
): Record<CheckStatus, number> {
  const counts: Record<CheckStatus, number> = {
    pass: 0,
    warn: 0,
    fail: 0,
    unknown: 0,
    skipped: 0,
  };
  for (const c of checks) counts[c.status] += 1;
  return counts;
}

/** A report's summary for history lists. */
export function summarizeReport(report: VerificationReport): ReportSummary {
  return {
    status: report.status,
    verifiedAt: report.verifiedAt,
    durationMs: report.durationMs,
    trigger: report.trigger,
    counts: countStatuses(report.checks),
    failingChecks: report.checks
      .filter(
        c =>
          c.status === 'fail' || c.status === 'warn' || c.status === 'unknown',
      )
      .map(c => c.id),
  };
}
