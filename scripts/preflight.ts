// `scripts/deploy.sh preflight`: what a host checks in the release it is about to run, before
// it migrates and reloads (the deploy's post-deploy runs it): the environment is valid, the
// database answers, and which migrations are about to run. One line each; exit 1 on the
// first that fails, so the deploy stops before it migrates and the running workers go on.
import path from 'node:path';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { ConfigError, loadConfig } from '../services/core/config.ts';
import { createDb, isEmbedded, missingMigrations } from '../services/core/db.ts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const say = (line: string) => process.stdout.write(`preflight: ${line}\n`);
const fail = (line: string): never => {
  process.stderr.write(`preflight: ${line}\n`);
  process.exit(1);
};

try {
  process.loadEnvFile(path.join(ROOT, '.env'));
} catch (err) {
  if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
}

let config: ReturnType<typeof loadConfig>;
try {
  config = loadConfig(process.env, JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')).version);
} catch (err) {
  if (err instanceof ConfigError) fail(`configuration invalid: ${err.message}`);
  throw err;
}
say(`configuration valid (NODE_ENV=${config.env}, version ${config.version})`);

const db = await createDb({ ...config, databasePoolMax: 1 });
try {
  const started = performance.now();
  const version = (await db.raw('show server_version')).rows[0].server_version as string;
  say(`database reachable (${isEmbedded(db) ? 'embedded PGlite' : 'PostgreSQL'} ${version}, ${Math.round(performance.now() - started)} ms)`);
} catch (err) {
  await db.destroy().catch(() => undefined);
  // The driver's message names the host and the reason, never the password.
  fail(`database unreachable: ${(err as Error).message}`);
}
const missing = await missingMigrations(db);
say(missing.length ? `${missing.length} migration${missing.length === 1 ? '' : 's'} to apply: ${missing.join(', ')}` : 'no migration to apply');
await db.destroy();
