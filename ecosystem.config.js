// pm2: a clustered `web` app, a `jobs` app (the queue workers and the schedule), and
// `pm2 deploy production` over SSH. An ES module like the rest of the package: pm2 reads it
// with require(), which loads ES modules on Node >= 20.19, and finds `apps` and `deploy`
// among its named exports. Nothing is kept in a process (sessions, rate limits and the job
// queue live in PostgreSQL; uploads in the receipt store), so any number of web instances
// and jobs apps, on any number of hosts, can run side by side.
//
//   npx pm2 start ecosystem.config.js          # both apps
//   npx pm2 reload web                         # new code, no request dropped
//   npx pm2 deploy ecosystem.config.js production setup | update
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.dirname(fileURLToPath(import.meta.url));

// WEB_INSTANCES, LOG_DIR and the DEPLOY_* settings may sit in the .env beside this file,
// like everything else Bursar reads; the shell's environment wins over it.
try {
  process.loadEnvFile(path.join(ROOT, '.env'));
} catch {
  // no .env: the environment alone
}

const env = process.env;
const logDir = path.resolve(ROOT, env.LOG_DIR || 'logs');
const instances = /^\d+$/.test(env.WEB_INSTANCES ?? '') && Number(env.WEB_INSTANCES) > 0 ? Number(env.WEB_INSTANCES) : 'max';

/**
 * Options both apps share: TypeScript through tsx, production settings, logs of their own.
 * pm2 7 on Node 20 looks for ts-node when it sees a .ts script and writes "TypeScript support
 * unavailable" to the error log once per start; tsx, loaded by --import, runs the file anyway.
 */
const common = {
  cwd: ROOT,
  interpreter: 'node',
  interpreter_args: '--import tsx',
  // One file per app however many instances write to it; pino's lines carry their own time.
  merge_logs: true,
  env: { NODE_ENV: 'production' },
};

export const apps = [
  {
    ...common,
    name: 'web',
    script: 'server.ts',
    exec_mode: 'cluster',
    instances,
    // A new worker takes traffic once it says 'ready' (server.ts sends it when it listens),
    // and only then is an old one stopped: a reload drops no request.
    wait_ready: true,
    listen_timeout: 30_000,
    // An old worker stops accepting, finishes what it holds (up to 10 s), then closes its pool.
    kill_timeout: 15_000,
    max_memory_restart: '400M',
    out_file: path.join(logDir, 'web.log'),
    error_file: path.join(logDir, 'web.error.log'),
  },
  {
    ...common,
    name: 'jobs',
    script: 'jobs/index.ts',
    exec_mode: 'fork',
    instances: 1,
    wait_ready: true,
    listen_timeout: 30_000,
    // A job's lease outlives its worker, so one stopped mid-job is taken over by the next.
    kill_timeout: 30_000,
    // Imports stream in chunks, so no file under the 200 MB upload limit needs more than this;
    // a worker restarted here hands its job to the next one, which resumes it.
    max_memory_restart: '400M',
    out_file: path.join(logDir, 'jobs.log'),
    error_file: path.join(logDir, 'jobs.error.log'),
  },
];

const deployPath = env.DEPLOY_PATH || '/srv/bursar';

export const deploy = {
  production: {
    user: env.DEPLOY_USER || 'bursar',
    host: (env.DEPLOY_HOSTS || 'bursar.example.com').split(',').map((h) => h.trim()),
    ref: env.DEPLOY_REF || 'origin/main',
    repo: env.DEPLOY_REPO || 'git@example.com:bursar/bursar.git',
    path: deployPath,
    // The .env with DATABASE_URL and the secrets lives in the shared folder, never in the repo.
    'post-setup': 'mkdir -p ../shared/logs && touch ../shared/.env && chmod 600 ../shared/.env',
    // Installed, checked (config, database, the migrations about to run), migrated, then reloaded
    // one worker at a time; `startOrReload` also starts the apps on the first deploy.
    'post-deploy': [
      'ln -sf ../shared/.env .env',
      'npm ci --omit=dev --no-audit --no-fund',
      'scripts/deploy.sh preflight',
      'npm run migrate',
      `LOG_DIR=${path.posix.join(deployPath, 'shared/logs')} npx pm2 startOrReload ecosystem.config.js --update-env`,
      'npx pm2 save',
    ].join(' && '),
  },
};
