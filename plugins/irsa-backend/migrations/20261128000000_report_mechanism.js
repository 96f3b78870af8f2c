// @ts-check

/**
 * The mechanism of each report (IRSA or EKS Pod Identity), so the fleet list
 * reads it with the other summary columns instead of parsing full reports.
 * Rows stored before it have none: their report has none either (IRSA).
 *
 * @param {import('knex').Knex} knex
 */
exports.up = async function up(knex) {
  await knex.schema.alterTable('irsa_reports', table => {
    table
      .string('mechanism', 16)
      .nullable()
      .comment('irsa or pod-identity; null on rows stored before Pod Identity');
  });
};

/** @param {import('knex').Knex} knex */
exports.down = async function down(knex) {
  await knex.schema.alterTable('irsa_reports', table => {
    table.dropColumn('mechanism');
  });
};
