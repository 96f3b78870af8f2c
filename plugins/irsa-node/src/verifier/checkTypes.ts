import type {
  CheckMechanism,
  CheckResult,
  CheckStatus,
  EvidenceValue,
} from '@backstage-irsa/plugin-irsa-common';
import type { Evidence, Source } from './sources';

/**
 * The sources a verification reads, by their key in `Evidence`. A check names
 * the ones it reads; when one could not be read the check is `unknown`.
 */
export const EVIDENCE_SOURCES = [
  'binding',
  'facts',
  'provider',
  'role',
  'serviceAccount',
  'associations',
  'agent',
  'pods',
  'policies',
  'exchange',
  'podIdentityExchange',
  'cloudTrail',
] as const satisfies ReadonlyArray<keyof Evidence>;

/** A source a check can read. */
export type EvidenceSourceName = (typeof EVIDENCE_SOURCES)[number];

/** The value of a readable source. */
export type EvidenceSourceValue<K extends EvidenceSourceName> =
  Evidence[K] extends Source<infer T> ? T : never;

/**
 * Sources that describe the cluster, not the role or ServiceAccount: a check
 * reading only these runs before the binding is proven.
 */
export const CLUSTER_SOURCES: ReadonlyArray<EvidenceSourceName> = [
  'facts',
  'provider',
  'agent',
];

/** What a check decides; the runner adds id, title, mechanism and duration. */
export interface IrsaCheckOutcome {
  status: CheckStatus;
  /** One line a developer reads first. */
  message: string;
  /** What the check looked at (JSON; never secrets). */
  evidence?: { [key: string]: EvidenceValue };
  /** What to do about a warn or fail; the check's static hint when absent. */
  remediation?: string;
}

/**
 * What a verification knows without reading a source: the ServiceAccount,
 * the role ARN and where it came from, the audience, the mechanism and any
 * migration, the settings.
 */
export type CheckEvidence = Omit<Evidence, EvidenceSourceName>;

/** What a check's `run` receives. */
export interface IrsaCheckContext {
  /** The verification's plain facts (sources come through `read`). Read-only. */
  readonly evidence: Readonly<CheckEvidence>;
  /**
   * The value of a source the check names in `reads` (the runner has made
   * sure it was read, and that the binding holds when the source is more
   * than the cluster's). Reading a source not named there throws, and the
   * check is `unknown`.
   */
  read<K extends EvidenceSourceName>(source: K): EvidenceSourceValue<K>;
  /** The results of the checks named in `dependsOn`; each passed or warned. */
  readonly dependencies: Readonly<Record<string, CheckResult>>;
}

/**
 * One check of a verification. The built-in checks and an adopter's checks
 * are the same kind of object, registered the same way
 * (`irsaChecksExtensionPoint.addCheck`).
 */
export interface IrsaCheck {
  /**
   * Stable identifier, lower case with `-` or `.` between words
   * (`tag-policy`, `acme.cost-center`). Reports, history and the card key on it.
   */
  id: string;
  /** What the card and the task log call it. */
  title: string;
  /** What it applies to: an IRSA verification runs `irsa` and `any` checks. */
  mechanism: CheckMechanism;
  /**
   * Checks that must pass (or warn) for this one to mean anything; when one
   * did not, this check is `skipped` and says which. They run first.
   */
  dependsOn?: string[];
  /**
   * The sources it reads (cluster facts, the role, its policies...). When
   * one could not be read the check is `unknown` without running. A check
   * that reads anything beyond the cluster's facts, OIDC provider and Pod
   * Identity agent runs only once the `binding` check proved entity,
   * ServiceAccount and role (and any association) belong together.
   */
  reads?: EvidenceSourceName[];
  /** A remediation for a warn or fail whose outcome brings none. */
  remediation?: string;
  /**
   * Decides the outcome. A throw, a promise that rejects or does not settle
   * within the verifier's check timeout, or an invalid outcome makes the
   * check `unknown` with a short message (never the error's text).
   */
  run(context: IrsaCheckContext): IrsaCheckOutcome | Promise<IrsaCheckOutcome>;
}
