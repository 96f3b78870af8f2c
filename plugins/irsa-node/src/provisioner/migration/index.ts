export * from './DefaultMigrator';
export * from './migrationTypes';
