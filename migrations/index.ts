import type { Knex } from 'knex';
import * as m001 from './20261125_001_foundation.ts';
import * as m002 from './20261125_002_job_runs.ts';
import * as m401 from './20261125_401_readiness.ts';
import * as m501 from './20261125_501_agent.ts';

/**
 * Migrations are listed here rather than discovered on disk, so both backends and
 * every runner (tsx, tests, scripts) apply exactly the same files in the same order.
 */
type Migration = { up(db: Knex): Promise<void>; down(db: Knex): Promise<void> };
const migrations: Record<string, Migration> = {
  '20261125_001_foundation': m001,
  '20261125_002_job_runs': m002,
  '20261125_401_readiness': m401,
  '20261125_501_agent': m501,
};

export const migrationSource: Knex.MigrationSource<string> = {
  getMigrations: async () => Object.keys(migrations),
  getMigrationName: (name) => name,
  getMigration: async (name) => migrations[name],
};
