// @ts-check

/**
 * Locks that keep two aws:irsa:create runs off the same ServiceAccount or
 * role, across every backend replica that shares the scaffolder's database.
 *
 * @param {import('knex').Knex} knex
 */
exports.up = async function up(knex) {
  await knex.schema.createTable('irsa_provision_locks', table => {
    table.comment('IRSA provisioning locks (aws:irsa:create)');
    table.string('lock_key', 255).primary().comment('serviceaccount:… or role:…');
    table.string('token', 64).notNullable().comment('one acquisition');
    table.string('holder', 255).notNullable().comment('the task holding it');
    table
      .timestamp('expires_at', { useTz: true, precision: 3 })
      .notNullable()
      .comment('a crashed holder stops blocking after this');
  });
};

/** @param {import('knex').Knex} knex */
exports.down = async function down(knex) {
  await knex.schema.dropTable('irsa_provision_locks');
};
