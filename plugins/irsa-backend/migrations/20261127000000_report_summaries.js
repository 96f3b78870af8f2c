// @ts-check

/**
 * History as summaries: only an entity's newest row keeps the full report;
 * older rows keep status, counts, failing check ids, time and trigger.
 *
 * @param {import('knex').Knex} knex
 */
exports.up = async function up(knex) {
  await knex.schema.alterTable('irsa_reports', table => {
    table
      .text('failing_checks')
      .nullable()
      .comment(
        'JSON: ids of the checks that did not pass (fail, warn, unknown)',
      );
    table
      .text('report')
      .nullable()
      .comment('JSON: the VerificationReport, kept on the newest row only')
      .alter();
  });
  const newest = knex('irsa_reports').max('id').groupBy('entity_ref');
  await knex('irsa_reports').whereNotIn('id', newest).update({ report: null });
};

/**
 * Back to full reports on every row: summary-only rows cannot be restored, so
 * they are deleted.
 *
 * @param {import('knex').Knex} knex
 */
exports.down = async function down(knex) {
  await knex('irsa_reports').whereNull('report').delete();
  await knex.schema.alterTable('irsa_reports', table => {
    table.dropColumn('failing_checks');
    table.text('report').notNullable().alter();
  });
};
