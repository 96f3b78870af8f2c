// @ts-check

/**
 * One row per entity that decides, across replicas, who may verify it now:
 * a run holds a lease until it finishes; the finish time drives the cooldown.
 * Times are epoch milliseconds so SQLite and PostgreSQL compare them alike.
 *
 * @param {import('knex').Knex} knex
 */
exports.up = async function up(knex) {
  await knex.schema.createTable('irsa_verification_claims', table => {
    table.comment(
      'Single-flight and cooldown of IRSA verifications per entity',
    );
    table
      .string('entity_ref', 255)
      .primary()
      .comment('kind:namespace/name, lower-cased');
    table.string('token', 64).notNullable().comment('the claiming run');
    table
      .bigInteger('lease_until_ms')
      .nullable()
      .comment('a run holds the entity until then; null when none runs');
    table
      .bigInteger('finished_at_ms')
      .nullable()
      .comment('when the last successful run finished');
  });
};

/** @param {import('knex').Knex} knex */
exports.down = async function down(knex) {
  await knex.schema.dropTable('irsa_verification_claims');
};
