import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Server } from 'node:http';
import express from 'express';
import helmet from 'helmet';
import { isEmbedded } from './services/core/db.ts';
import { isEntryPoint } from './services/core/entry.ts';
import { bootstrap } from './scripts/bootstrap.ts';
import { systemClock } from './services/core/clock.ts';
import { DEMO_EMAIL, DEMO_PASSWORD, seedDemo } from './services/demo.ts';
import { indexKnowledge } from './services/agent/knowledge.ts';
import { embedderFor } from './services/agent/embeddings.ts';
import type { AppDeps } from './routes/support/deps.ts';
import { configureViews } from './routes/support/views.ts';
import { attachFragmentCache } from './routes/support/fragment-cache.ts';
import { closeSimulationPool } from './services/reports/forecast/simulate-pool.ts';
import { refuseControlCharacters } from './routes/support/control-characters.ts';
import { requestLog } from './routes/support/request-log.ts';
import { gracefulServer } from './routes/support/graceful.ts';
import { sessionMiddleware } from './routes/support/session.ts';
import { verifyCsrf } from './routes/support/csrf.ts';
import { loadUser, requireUser } from './routes/support/auth.ts';
import { loadMembership } from './routes/support/tenant.ts';
import { errorHandler, notFound } from './routes/support/errors.ts';
import { accountRoutes } from './routes/access/accounts.ts';
import { businessListRoutes } from './routes/access/businesses.ts';
import { healthRoutes } from './routes/operations/health.ts';
import { operationsRoutes } from './routes/operations/operations.ts';
import { businessRoutes } from './routes/index.ts';
import { apiRoutes } from './routes/api/v1/index.ts';
import { devRoutes } from './routes/operations/dev.ts';
import { signInLinkRoutes } from './routes/access/sign-in-links.ts';
import { accountSettingsRoutes } from './routes/access/account.ts';
import { invitationRoutes } from './routes/access/invitations.ts';
import { googleRoutes } from './routes/access/google.ts';
import { mcpRoutes } from './routes/agent/mcp.ts';
import { startBackgroundWork } from './jobs/index.ts';
import { openControl } from './services/jobs/control.ts';
import { releaseAll } from './services/jobs/runtime.ts';
import { controlRoutes } from './routes/operations/control.ts';
import { webhookRoutes } from './routes/integrations/webhooks.ts';
import { integrationCallbackRoutes } from './routes/integrations/callbacks.ts';
import { accountDigestRoutes } from './routes/email/digest-preferences.ts';
import { digestLinkRoutes } from './routes/email/digest-links.ts';

const ROOT = path.dirname(fileURLToPath(import.meta.url));

/** Browser libraries, served from node_modules: never a CDN. */
const VENDOR: Record<string, string> = {
  'htmx.min.js': 'htmx.org/dist/htmx.min.js',
  'htmx-ext-sse.js': 'htmx-ext-sse/dist/sse.min.js',
  'alpine-csp.min.js': '@alpinejs/csp/dist/cdn.min.js',
  'uPlot.iife.min.js': 'uplot/dist/uPlot.iife.min.js',
  'uPlot.min.css': 'uplot/dist/uPlot.min.css',
};

export function createApp(deps: AppDeps): express.Express {
  const { config, logger } = deps;
  // Never a constant: bootstrap fills these from the environment or the instance's own.
  if (!config.sessionSecret || !config.jwtSecret) throw new Error('createApp needs the session and JWT secrets (see withInstanceSecrets)');
  const app = express();
  app.disable('x-powered-by');
  // Pages carry a per-session CSRF token and the API answers per caller, so a weak ETag
  // over the body would rarely match; computing one hashed every response.
  app.set('etag', false);
  app.set('trust proxy', config.trustProxy);
  configureViews(app, ROOT, !config.isProduction);
  attachFragmentCache(app);
  // The sign-in form offers Google only when it is configured.
  app.locals.googleSignIn = Boolean(config.google.clientId && config.google.clientSecret);

  app.use(requestLog(logger, { slowMs: config.slowRequestMs, quietSuccess: config.env === 'development' }));
  app.use(
    helmet({
      contentSecurityPolicy: {
        useDefaults: true,
        directives: {
          'default-src': ["'self'"],
          'script-src': ["'self'"],
          'style-src': ["'self'"],
          'img-src': ["'self'", 'data:'],
          'connect-src': ["'self'"],
          // Connecting a provider is a form whose answer redirects to the provider's authorisation page.
          'form-action': ["'self'", new URL(config.stripe.connectBase).origin],
          'frame-ancestors': ["'none'"],
          'object-src': ["'none'"],
          'upgrade-insecure-requests': config.isProduction ? [] : null,
        },
      },
      strictTransportSecurity: config.isProduction,
    }),
  );

  for (const [name, file] of Object.entries(VENDOR)) {
    const full = path.join(ROOT, 'node_modules', file);
    app.get(`/vendor/${name}`, (_req, res) => res.sendFile(full, { maxAge: '7d', immutable: true }));
  }
  app.use('/static', express.static(path.join(ROOT, 'public'), { maxAge: config.isProduction ? '1d' : 0 }));
  app.use(healthRoutes(deps));
  // Before the body parsers: a webhook's signature covers its raw bytes.
  app.use(webhookRoutes(deps));

  app.use(express.urlencoded({ extended: false, limit: '200kb' }));
  app.use(express.json({ limit: '1mb' }));
  app.use(refuseControlCharacters);
  app.use(controlRoutes(deps));
  app.use(sessionMiddleware(deps));
  app.use(loadUser(deps));
  app.use(verifyCsrf);

  // The business pages and the API first: they are most of the traffic, and their paths
  // are their own, so they need not be matched against every account route first.
  app.use('/b/:businessId', requireUser, loadMembership(), businessRoutes(deps));
  app.use('/api/v1', apiRoutes(deps));
  app.use(accountRoutes(deps));
  app.use(signInLinkRoutes(deps));
  app.use(accountSettingsRoutes(deps));
  app.use(accountDigestRoutes(deps));
  app.use(digestLinkRoutes(deps));
  app.use(invitationRoutes(deps));
  app.use(googleRoutes(deps));
  app.use(integrationCallbackRoutes(deps));
  app.use(businessListRoutes(deps));
  app.use(operationsRoutes(deps));
  if (!config.isProduction) app.use(devRoutes(deps));
  app.use(mcpRoutes(deps));

  app.use(notFound);
  app.use(errorHandler(logger));
  return app;
}

async function main(): Promise<void> {
  const started = Date.now();
  const { config, logger, db } = await bootstrap();
  if (config.seedDemo) {
    const seeded = await seedDemo(db, systemClock);
    if (seeded) logger.info({ rows: seeded.rows, ms: Date.now() - started }, 'demo data seeded');
  }
  // The agent's knowledge base: only documents whose content changed are chunked again.
  const knowledge = await indexKnowledge(db, systemClock, undefined, embedderFor(config));
  if (knowledge.indexed.length || knowledge.embedded) logger.info({ indexed: knowledge.indexed, embedded: knowledge.embedded }, 'knowledge base indexed');
  if (knowledge.embedding_error) logger.warn({ reason: knowledge.embedding_error }, 'knowledge base not embedded: search stays full-text until the next index-knowledge run');
  // Embedded PGlite belongs to this process alone, so the workers and the schedule run here;
  // on PostgreSQL the `jobs` app runs them (JOBS_IN_WEB overrides either way).
  const runsJobs = config.jobsInWeb === 'always' || (config.jobsInWeb === 'auto' && isEmbedded(db));
  // Embedded, this process is the only worker there can be: what was running died with the last one.
  if (runsJobs && isEmbedded(db)) await releaseAll(db, systemClock.now());
  const background = runsJobs ? startBackgroundWork({ db, config, clock: systemClock, logger }) : null;
  const control = background && isEmbedded(db) ? await openControl(config, logger) : null;
  const app = createApp({ db, config, clock: systemClock, logger, jobs: background?.worker, control: control ?? undefined });
  const server: Server = app.listen(config.port, config.host, () => {
    logger.info({ url: config.appUrl, database: isEmbedded(db) ? 'embedded PGlite' : 'PostgreSQL', ms: Date.now() - started }, 'Bursar is listening');
    if (config.seedDemo) {
      process.stdout.write(`\n  Bursar is running at ${config.appUrl}\n  Demo login: ${DEMO_EMAIL} / ${DEMO_PASSWORD}\n\n`);
    } else {
      process.stdout.write(`\n  Bursar is running at ${config.appUrl}\n\n`);
    }
    process.send?.('ready');
  });

  const graceful = gracefulServer(server);
  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down: finishing requests in flight');
    // pm2 waits kill_timeout (15 s, ecosystem.config.js) before it kills: drain within 10 s.
    if ((await graceful.stop(10_000)) === 'forced') logger.error('requests still open after 10 s; closed anyway');
    await background?.stop(5_000);
    await control?.close();
    await closeSimulationPool();
    await db.destroy();
    logger.info('stopped');
    process.exit(0);
  };
  // A promise nobody awaited must not end a web worker silently (Node's default exits).
  process.on('unhandledRejection', (err) => logger.error({ err }, 'unhandled rejection'));
  process.on('SIGINT', () => void shutdown('SIGINT'));
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
}

if (isEntryPoint(import.meta.url)) {
  main().catch((err) => {
    process.stderr.write(`Bursar failed to start: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  });
}
