import type { Knex } from 'knex';
import * as m001 from './20261125_001_foundation.ts';
import * as m002 from './20261125_002_job_runs.ts';
import * as m201 from './20261125_201_ledger_audit_imports.ts';

/**
 * Migrations are listed here rather than discovered on disk, so both backends and
 * every runner (tsx, tests, scripts) apply exactly the same files in the same order.
 */
type Migration = { up(db: Knex): Promise<void>; down(db: Knex): Promise<void> };
const migrations: Record<string, Migration> = {
  '20261125_001_foundation': m001,
  '20261125_002_job_runs': m002,
  '20261125_201_ledger_audit_imports': m201,
};

export const migrationSource: Knex.MigrationSource<string> = {
  getMigrations: async () => Object.keys(migrations),
  getMigrationName: (name) => name,
  getMigration: async (name) => migrations[name],
};
