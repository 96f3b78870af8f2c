import type { DatabaseService } from '@backstage/backend-plugin-api';
import { resolvePackagePath } from '@backstage/backend-plugin-api';
import {
  summarizeReport,
  type IdentityMechanism,
  type OverallStatus,
  type ReportSummary,
  type VerificationReport,
} from '@backstage-irsa/plugin-irsa-common';
import type { Knex } from 'knex';

/** An entity's newest report, as the fleet list shows it. */
export interface LatestSummary {
  status: OverallStatus;
  /** Ids of the checks that did not pass or skip, in report order. */
  failingChecks: string[];
  verifiedAt: Date;
  /** The report's mechanism; absent on reports stored before Pod Identity. */
  mechanism?: IdentityMechanism;
}

/** Where verification reports are kept. */
export interface ReportStore {
  /**
   * Stores a report as the entity's latest; the previous latest becomes a
   * summary, and history past the limit is trimmed.
   */
  add(entityRef: string, report: VerificationReport): Promise<void>;
  latest(entityRef: string): Promise<VerificationReport | undefined>;
  /** Newest first; summaries always carry `failingChecks` (empty for old rows). */
  history(entityRef: string, limit: number): Promise<ReportSummary[]>;
  /** When each of these entities was last verified (absent: never). */
  lastVerified(entityRefs: string[]): Promise<Map<string, Date>>;
  /** Deletes every report verified before the cutoff; answers how many. */
  purgeOlderThan(cutoff: Date): Promise<number>;
  /**
   * Every entity's newest summary, keyed by the lower-cased entity ref
   * ({@link entityKey}). Reports this store adds show at once; reports
   * another replica adds may take up to the store's summaries max age.
   * The map is the store's own: read it, never change it.
   */
  latestSummaries(): Promise<ReadonlyMap<string, LatestSummary>>;
  /** The newest full report of every entity whose newest status is one of these. */
  latestReportsWithStatus(
    statuses: OverallStatus[],
  ): Promise<Array<{ entityKey: string; report: VerificationReport }>>;
}

const TABLE = 'irsa_reports';
/** How long another replica's new reports may take to reach the fleet list. */
export const SUMMARIES_MAX_AGE_MS = 5_000;
const MIGRATIONS = resolvePackagePath(
  '@backstage-irsa/plugin-irsa-backend',
  'migrations',
);

/** Applies the plugin's migrations (unless the backend skips them). */
export async function migrateReportStore(
  database: DatabaseService,
): Promise<Knex> {
  const knex = await database.getClient();
  if (!database.migrations?.skip) {
    await knex.migrate.latest({ directory: MIGRATIONS });
  }
  return knex;
}

/** How entity refs are keyed in the plugin's tables. */
export const entityKey = (entityRef: string) =>
  entityRef.toLocaleLowerCase('en-US');

/**
 * The report store on the plugin's own database (SQLite or PostgreSQL).
 * Every entity's newest summary is also kept in memory for the fleet list:
 * updated by {@link DatabaseReportStore.add}, read again from the database
 * once older than `summariesMaxAgeMs` (for other replicas' reports).
 */
export class DatabaseReportStore implements ReportStore {
  #summaries?: { map: Map<string, LatestSummary>; loadedAt: number };
  #loadingSummaries?: Promise<Map<string, LatestSummary>>;
  /** Summaries added while a load runs, which its query may not have seen. */
  #addedDuringLoad?: Map<string, LatestSummary>;

  constructor(
    private readonly knex: Knex,
    private readonly historyLimit: number,
    private readonly cache: {
      summariesMaxAgeMs?: number;
      now?: () => number;
    } = {},
  ) {}

  static async create(options: {
    database: DatabaseService;
    historyLimit: number;
    summariesMaxAgeMs?: number;
  }) {
    return new DatabaseReportStore(
      await migrateReportStore(options.database),
      options.historyLimit,
      { summariesMaxAgeMs: options.summariesMaxAgeMs },
    );
  }

  async add(entityRef: string, report: VerificationReport): Promise<void> {
    const ref = entityKey(entityRef);
    const summary = summarizeReport(report);
    await this.knex.transaction(async tx => {
      // The previous latest keeps only its summary.
      await tx(TABLE)
        .where({ entity_ref: ref })
        .whereNotNull('report')
        .update({ report: null });
      await tx(TABLE).insert({
        entity_ref: ref,
        status: report.status,
        trigger: report.trigger,
        verified_at: new Date(report.verifiedAt),
        duration_ms: Math.round(report.durationMs),
        counts: JSON.stringify(summary.counts),
        failing_checks: JSON.stringify(summary.failingChecks),
        mechanism: report.mechanism ?? null,
        report: JSON.stringify(report),
      });
      const keep = tx(TABLE)
        .select('id')
        .where({ entity_ref: ref })
        .orderBy('id', 'desc')
        .limit(this.historyLimit);
      // MySQL-style engines refuse LIMIT in IN-subqueries; SQLite and PostgreSQL accept it.
      await tx(TABLE)
        .where({ entity_ref: ref })
        .whereNotIn('id', keep)
        .delete();
    });
    const latest: LatestSummary = {
      status: report.status,
      failingChecks: summary.failingChecks ?? [],
      verifiedAt: new Date(report.verifiedAt),
      ...(report.mechanism ? { mechanism: report.mechanism } : {}),
    };
    this.#summaries?.map.set(ref, latest);
    this.#addedDuringLoad?.set(ref, latest);
  }

  async latest(entityRef: string): Promise<VerificationReport | undefined> {
    const row = await this.knex(TABLE)
      .select('report')
      .where({ entity_ref: entityKey(entityRef) })
      .orderBy('id', 'desc')
      .first();
    return row?.report
      ? (JSON.parse(row.report) as VerificationReport)
      : undefined;
  }

  async history(entityRef: string, limit: number): Promise<ReportSummary[]> {
    const rows = await this.knex(TABLE)
      .select(
        'status',
        'trigger',
        'verified_at',
        'duration_ms',
        'counts',
        'failing_checks',
      )
      .where({ entity_ref: entityKey(entityRef) })
      .orderBy('id', 'desc')
      .limit(limit);
    return rows.map(row => ({
      status: row.status,
      trigger: row.trigger,
      verifiedAt: new Date(row.verified_at).toISOString(),
      durationMs: Number(row.duration_ms),
      counts: JSON.parse(row.counts),
      // Rows stored before the summaries migration have no list.
      failingChecks: row.failing_checks ? JSON.parse(row.failing_checks) : [],
    }));
  }

  async lastVerified(entityRefs: string[]): Promise<Map<string, Date>> {
    const result = new Map<string, Date>();
    const original = new Map(entityRefs.map(ref => [entityKey(ref), ref]));
    for (let i = 0; i < entityRefs.length; i += 500) {
      const chunk = entityRefs.slice(i, i + 500).map(entityKey);
      const rows: Array<{ entity_ref: string; last: string | number | Date }> =
        await this.knex(TABLE)
          .select('entity_ref')
          .max({ last: 'verified_at' })
          .whereIn('entity_ref', chunk)
          .groupBy('entity_ref');
      for (const row of rows)
        result.set(original.get(row.entity_ref)!, new Date(row.last));
    }
    return result;
  }

  async latestSummaries(): Promise<ReadonlyMap<string, LatestSummary>> {
    const cached = this.#summaries;
    const maxAgeMs = this.cache.summariesMaxAgeMs ?? SUMMARIES_MAX_AGE_MS;
    if (cached && this.now() - cached.loadedAt < maxAgeMs) return cached.map;
    // One query for a burst of callers.
    this.#loadingSummaries ??= this.loadSummaries().finally(() => {
      this.#loadingSummaries = undefined;
    });
    return this.#loadingSummaries;
  }

  private async loadSummaries(): Promise<Map<string, LatestSummary>> {
    const loadedAt = this.now();
    const added = new Map<string, LatestSummary>();
    this.#addedDuringLoad = added;
    try {
      // Only an entity's newest row keeps its report, so that marks the latest.
      const rows: Array<{
        entity_ref: string;
        status: OverallStatus;
        failing_checks: string | null;
        verified_at: string | number | Date;
        mechanism: IdentityMechanism | null;
      }> = await this.knex(TABLE)
        .select(
          'entity_ref',
          'status',
          'failing_checks',
          'verified_at',
          'mechanism',
        )
        .whereNotNull('report');
      const map = new Map<string, LatestSummary>();
      for (const row of rows) {
        map.set(row.entity_ref, {
          status: row.status,
          failingChecks: row.failing_checks
            ? JSON.parse(row.failing_checks)
            : [],
          verifiedAt: new Date(row.verified_at),
          ...(row.mechanism ? { mechanism: row.mechanism } : {}),
        });
      }
      for (const [ref, summary] of added) map.set(ref, summary);
      this.#summaries = { map, loadedAt };
      return map;
    } finally {
      if (this.#addedDuringLoad === added) this.#addedDuringLoad = undefined;
    }
  }

  private now() {
    return this.cache.now?.() ?? Date.now();
  }

  async latestReportsWithStatus(
    statuses: OverallStatus[],
  ): Promise<Array<{ entityKey: string; report: VerificationReport }>> {
    if (!statuses.length) return [];
    const rows: Array<{ entity_ref: string; report: string }> = await this.knex(
      TABLE,
    )
      .select('entity_ref', 'report')
      .whereNotNull('report')
      .whereIn('status', statuses)
      .orderBy('entity_ref');
    return rows.map(row => ({
      entityKey: row.entity_ref,
      report: JSON.parse(row.report) as VerificationReport,
    }));
  }

  async purgeOlderThan(cutoff: Date): Promise<number> {
    const purged = await this.knex(TABLE)
      .where('verified_at', '<', cutoff)
      .delete();
    // An entity whose every report is gone has no summary any more.
    if (purged) this.#summaries = undefined;
    return purged;
  }
}
