import path from 'node:path';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { ConfigError, loadConfig } from '../services/core/config.ts';
import { createDb, migrateLatest, missingMigrations } from '../services/core/db.ts';
import { createLogger, readableLines } from '../services/core/logger.ts';
import { withInstanceSecrets } from '../services/core/instance-secrets.ts';
import { systemClock } from '../services/core/clock.ts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/**
 * What every entry point (web, jobs, scripts) starts from: .env loaded, the
 * environment validated (one line and exit 1 when it is not), the database
 * opened and migrated (`migrate: true`, or MIGRATE_ON_START: by default outside
 * production). In production a release's migrations run once, before its processes
 * are reloaded (`npm run migrate` in the deploy), so a start only checks that none this
 * build needs is missing, and refuses to serve with one line naming them if one is.
 */
export async function bootstrap(opts: { migrate?: boolean } = {}) {
  try {
    process.loadEnvFile(path.join(ROOT, '.env'));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  let config: ReturnType<typeof loadConfig>;
  try {
    const version = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')).version;
    config = loadConfig(process.env, version);
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`${err.message}\n`);
      process.exit(1);
    }
    throw err;
  }
  // JSON lines in production (for the log files pm2 writes); readable ones on a developer's terminal.
  const logger = createLogger(config.logLevel, config.env === 'development' ? readableLines() : undefined);
  const db = await createDb(config);
  if (opts.migrate ?? config.migrateOnStart) {
    const applied = await migrateLatest(db);
    if (applied.length) logger.info({ applied }, 'migrations applied');
  } else {
    const missing = await missingMigrations(db);
    if (missing.length) {
      await db.destroy();
      process.stderr.write(`${missingMessage(missing)}\n`);
      process.exit(1);
    }
  }
  return { config: await withInstanceSecrets(db, config), logger, db, clock: systemClock, root: ROOT };
}

/** The one line a start that will not serve prints. */
export function missingMessage(missing: string[]): string {
  return `The database lacks ${missing.length} migration${missing.length === 1 ? '' : 's'} this build needs (${missing.join(', ')}): run \`npm run migrate\` first (scripts/deploy.sh does, before it reloads).`;
}
