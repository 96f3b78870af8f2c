// @ts-check

/**
 * Verification reports: one row per run; the newest row of an entity is its
 * current report, older rows are its history (capped by historyLimit).
 *
 * @param {import('knex').Knex} knex
 */
exports.up = async function up(knex) {
  await knex.schema.createTable('irsa_reports', table => {
    table.comment('IRSA verification reports per catalog entity');
    table.bigIncrements('id').primary();
    table
      .string('entity_ref', 255)
      .notNullable()
      .comment('kind:namespace/name, lower-cased');
    table.string('status', 16).notNullable();
    table.string('trigger', 16).notNullable();
    table.timestamp('verified_at', { useTz: true, precision: 3 }).notNullable();
    table.integer('duration_ms').notNullable();
    table.text('counts').notNullable().comment('JSON: checks per status');
    table.text('report').notNullable().comment('JSON: the VerificationReport');
    table.index(['entity_ref', 'verified_at'], 'irsa_reports_entity_time_idx');
  });
};

/** @param {import('knex').Knex} knex */
exports.down = async function down(knex) {
  await knex.schema.dropTable('irsa_reports');
};
