import type { Knex } from 'knex';
import * as m001 from './20261125_001_foundation.ts';
import * as m002 from './20261125_002_job_runs.ts';
import * as m401 from './20261125_401_readiness.ts';
import * as m301 from './20261125_301_report_aggregates.ts';
import * as m302 from './20261125_302_forecast_scenarios.ts';
import * as m101 from './20261125_101_outbox.ts';
import * as m102 from './20261125_102_email_tokens_and_rate_limits.ts';
import * as m103 from './20261125_103_invitations.ts';
import * as m104 from './20261125_104_api_tokens.ts';
import * as m105 from './20261125_105_google_accounts.ts';
import * as m201 from './20261125_201_ledger_audit_imports.ts';
import * as m202 from './20261125_202_import_heartbeat.ts';
import * as m203 from './20261125_203_receipts.ts';
import * as m204 from './20261125_204_expense_text_search.ts';
import * as m205 from './20261125_205_kind_totals.ts';
import * as m206 from './20261125_206_expense_texts.ts';
import * as m303 from './20261129_303_data_versions.ts';
import * as m501 from './20261125_501_agent.ts';
import * as m502 from './20261125_502_forecast_snapshots.ts';
import * as m503 from './20261125_503_knowledge_embeddings.ts';

/**
 * Migrations are listed here rather than discovered on disk, so both backends and
 * every runner (tsx, tests, scripts) apply exactly the same files in the same order.
 */
type Migration = { up(db: Knex): Promise<void>; down(db: Knex): Promise<void> };
const migrations: Record<string, Migration> = {
  '20261125_001_foundation': m001,
  '20261125_002_job_runs': m002,
  '20261125_401_readiness': m401,
  '20261125_301_report_aggregates': m301,
  '20261125_302_forecast_scenarios': m302,
  '20261125_101_outbox': m101,
  '20261125_102_email_tokens_and_rate_limits': m102,
  '20261125_103_invitations': m103,
  '20261125_104_api_tokens': m104,
  '20261125_105_google_accounts': m105,
  '20261125_201_ledger_audit_imports': m201,
  '20261125_202_import_heartbeat': m202,
  '20261125_203_receipts': m203,
  '20261125_501_agent': m501,
  '20261125_204_expense_text_search': m204,
  '20261125_502_forecast_snapshots': m502,
  '20261125_503_knowledge_embeddings': m503,
  '20261125_205_kind_totals': m205,
  '20261125_206_expense_texts': m206,
  '20261129_303_data_versions': m303,
};

export const migrationSource: Knex.MigrationSource<string> = {
  getMigrations: async () => Object.keys(migrations),
  getMigrationName: (name) => name,
  getMigration: async (name) => migrations[name],
};
