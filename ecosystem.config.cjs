// pm2 (a .cjs file, since the package is ESM): a clustered `web` app, a `jobs` app (the queue
// workers and the schedule), and `pm2 deploy production` over SSH. Nothing is kept in a process
// (sessions, rate limits and the job queue live in PostgreSQL; uploads in the receipt store), so
// any number of web instances and jobs apps, on any number of hosts, can run side by side.
module.exports = {
  apps: [
    {
      name: 'web',
      script: 'server.ts',
      interpreter: 'node',
      interpreter_args: '--import tsx',
      exec_mode: 'cluster',
      instances: process.env.WEB_INSTANCES || 'max',
      wait_ready: true,
      listen_timeout: 15000,
      kill_timeout: 12000,
      max_memory_restart: '400M',
      env: { NODE_ENV: 'production' },
    },
    {
      name: 'jobs',
      script: 'jobs/index.ts',
      interpreter: 'node',
      interpreter_args: '--import tsx',
      exec_mode: 'fork',
      instances: 1,
      wait_ready: true,
      kill_timeout: 30000,
      // Imports stream in chunks, so no file under the 200 MB upload limit needs more than this;
      // a worker restarted here hands its job to the next one, which resumes it.
      max_memory_restart: '400M',
      env: { NODE_ENV: 'production' },
    },
  ],
  deploy: {
    production: {
      user: process.env.DEPLOY_USER || 'bursar',
      host: (process.env.DEPLOY_HOSTS || 'bursar.example.com').split(','),
      ref: process.env.DEPLOY_REF || 'origin/main',
      repo: process.env.DEPLOY_REPO || 'git@example.com:bursar/bursar.git',
      path: process.env.DEPLOY_PATH || '/srv/bursar',
      // The .env with DATABASE_URL and secrets lives in the shared folder, never in the repo.
      'post-setup': 'ln -sf ../shared/.env .env',
      'post-deploy': 'ln -sf ../shared/.env .env && npm ci --omit=dev && npm run migrate && pm2 reload ecosystem.config.cjs --env production && pm2 save',
    },
  },
};
