import { existsSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import os from 'node:os';
import path from 'node:path';
import { z } from 'zod';

/**
 * The environment, read and validated once. A bad value stops start-up with one
 * line that names the variable; values are never echoed, since some are secrets.
 */
const schema = z.object({
  NODE_ENV: z.enum(['development', 'test', 'production']).default('development'),
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  HOST: z.string().min(1).default('127.0.0.1'),
  APP_URL: z.url().optional(),
  DATABASE_URL: z
    .string()
    .optional()
    .refine((v) => v === undefined || v === '' || /^postgres(ql)?:\/\/[^\s]+$/.test(v), {
      message: 'must be a postgres:// or postgresql:// connection URL',
    }),
  DATABASE_POOL_MAX: z.coerce.number().int().min(1).max(100).default(10),
  PGLITE_DIR: z.string().min(1).default('./data/pglite'),
  SESSION_SECRET: z.string().min(32, 'must be at least 32 characters').optional(),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  SEED_DEMO: z.enum(['auto', 'never']).default('auto'),
  OPERATOR_EMAILS: z.string().default(''),
  TRUST_PROXY: z
    .string()
    .trim()
    .default('false')
    .refine((v) => /^(true|false|\d{1,2})$/.test(v) || v.split(',').every((a) => /^[\d.:a-fA-F]+(\/\d{1,3})?$|^(loopback|linklocal|uniquelocal)$/.test(a.trim())), {
      message: 'must be false, true, a number of proxies, or a comma-separated list of proxy addresses',
    }),
  // --- accounts and access (issue 4)
  JWT_SECRET: z.string().min(32, 'must be at least 32 characters').optional(),
  SENDGRID_API_KEY: z.string().optional(),
  SENDGRID_API_URL: z.url().default('https://api.sendgrid.com/'),
  MAIL_FROM: z.string().min(3).default('Bursar <no-reply@bursar.local>'),
  RATE_LIMIT_WINDOW_SECONDS: z.coerce.number().int().min(1).default(900),
  RATE_LIMIT_LOGIN_PER_ACCOUNT: z.coerce.number().int().min(1).default(10),
  RATE_LIMIT_LOGIN_PER_IP: z.coerce.number().int().min(1).default(100),
  RATE_LIMIT_EMAIL_PER_ACCOUNT: z.coerce.number().int().min(1).default(5),
  RATE_LIMIT_EMAIL_PER_IP: z.coerce.number().int().min(1).default(30),
  RATE_LIMIT_HEAVY_PER_MINUTE: z.coerce.number().int().min(1).default(20),
  GOOGLE_CLIENT_ID: z.string().optional(),
  GOOGLE_CLIENT_SECRET: z.string().optional(),
  GOOGLE_AUTH_URL: z.url().default('https://accounts.google.com/o/oauth2/v2/auth'),
  GOOGLE_TOKEN_URL: z.url().default('https://oauth2.googleapis.com/token'),
  GOOGLE_USERINFO_URL: z.url().default('https://openidconnect.googleapis.com/v1/userinfo'),
  RATES_URL: z.url().optional(),
  OPENAI_API_KEY: z.string().optional(),
  OPENAI_BASE_URL: z.url().optional().or(z.literal('')),
  OPENAI_MODEL: z.string().min(1).default('gpt-4o-mini'),
  OPENAI_TIMEOUT_MS: z.coerce.number().int().min(100).max(600_000).default(60_000),
  // --- the P&L as a PDF: headless Chromium, when there is one
  PDF_CHROMIUM: z.string().min(1).default('auto'),
  // --- receipts (issue 5)
  RECEIPTS_STORAGE: z.enum(['disk', 's3']).default('disk'),
  RECEIPTS_DIR: z.string().min(1).default('./data/receipts'),
  RECEIPT_MAX_BYTES: z.coerce
    .number()
    .int()
    .min(1024)
    .max(1024 * 1024 * 1024)
    .default(10 * 1024 * 1024),
  S3_ENDPOINT: z.url().optional(),
  S3_BUCKET: z
    .string()
    .regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, 'must be an S3 bucket name')
    .optional(),
  S3_REGION: z.string().min(1).default('us-east-1'),
  S3_ACCESS_KEY_ID: z.string().min(1).optional(),
  S3_SECRET_ACCESS_KEY: z.string().min(1).optional(),
  OPENAI_EMBEDDINGS_MODEL: z.string().trim().optional(),
  // --- background work (issue 13)
  IMPORT_WAIT_MS: z.coerce.number().int().min(0).max(120_000).default(30_000),
  JOBS_IN_WEB: z.enum(['auto', 'always', 'never']).default('auto'),
  // --- integrations (issue 15)
  ENCRYPTION_KEY: z
    .string()
    .optional()
    .refine((v) => !v || v.split(',').every((k) => /^[A-Za-z0-9+/_-]{43}=?$|^[0-9a-fA-F]{64}$/.test(k.trim())), {
      message: 'must be one or more comma-separated 32-byte keys (64 hex characters or 44 base64 characters); the first encrypts',
    }),
  ENCRYPTION_KEY_FILE: z.string().min(1).default('./data/encryption.key'),
  STRIPE_SECRET_KEY: z.string().optional(),
  STRIPE_CONNECT_CLIENT_ID: z.string().optional(),
  STRIPE_WEBHOOK_SECRET: z.string().optional(),
  STRIPE_API_BASE: z.url().optional().or(z.literal('')),
  STRIPE_CONNECT_BASE: z.url().default('https://connect.stripe.com'),
  PROVIDER_TIMEOUT_MS: z.coerce.number().int().min(100).max(600_000).default(30_000),
  // --- operations (issue 24)
  MIGRATE_ON_START: z.enum(['auto', 'always', 'never']).default('auto'),
  // Read by ecosystem.config.js (pm2), validated here so `scripts/deploy.sh preflight` catches a bad one.
  WEB_INSTANCES: z
    .string()
    .regex(/^(max|[1-9]\d{0,2})$/, 'must be max or a number of web processes')
    .optional(),
  LOG_DIR: z.string().min(1).optional(),
  DEPLOY_USER: z.string().min(1).optional(),
  DEPLOY_HOSTS: z
    .string()
    .regex(/^[\w.-]+(:\d+)?(,\s*[\w.-]+(:\d+)?)*$/, 'must be a comma-separated list of host names')
    .optional(),
  DEPLOY_REF: z.string().min(1).optional(),
  DEPLOY_REPO: z.string().min(1).optional(),
  DEPLOY_PATH: z.string().startsWith('/', 'must be an absolute path').optional(),
  SLOW_REQUEST_MS: z.coerce.number().int().min(1).max(600_000).default(1000),
  // Read by scripts/backup.sh.
  BACKUP_DIR: z.string().min(1).optional(),
  BACKUP_KEEP: z.coerce.number().int().min(1).max(10_000).optional(),
});

/** An S3-compatible bucket, addressed path-style (`ENDPOINT/BUCKET/key`), which every such service accepts. */
export type S3Config = { endpoint: string; bucket: string; region: string; accessKeyId: string; secretAccessKey: string };

/** Where receipt files go; `dir` is used by the disk store, `s3` by the S3 one. */
export type ReceiptsConfig = { storage: 'disk' | 's3'; dir: string; maxBytes: number; s3: S3Config | null };

/**
 * Stripe Connect: the platform's secret key and Connect client id (both needed to connect a
 * business), the webhook signing secret, and where the API and the OAuth pages live
 * (Stripe's hosts unless a local fake is named).
 */
export type StripeConfig = { secretKey: string | null; connectClientId: string | null; webhookSecret: string | null; apiBase: string | null; connectBase: string };

/** The OpenAI-compatible endpoint the agent uses; null runs the offline analyst. */
export type AiConfig = { apiKey: string; baseUrl: string | null; model: string; timeoutMs: number };

/** The embeddings endpoint (same key and base URL) for the knowledge base; null keeps search full-text only. */
export type EmbeddingsConfig = { apiKey: string; baseUrl: string | null; model: string; timeoutMs: number };

export type Config = {
  env: 'development' | 'test' | 'production';
  isProduction: boolean;
  port: number;
  host: string;
  appUrl: string;
  databaseUrl: string | null;
  databasePoolMax: number;
  pgliteDir: string;
  /** Empty until bootstrap fills it from the instance's own secrets when the environment gave none. */
  sessionSecret: string;
  logLevel: string;
  seedDemo: boolean;
  /**
   * Whom to believe about the client's address (X-Forwarded-For): false (the socket's
   * address, the default), a number of proxies in front, or their addresses.
   */
  trustProxy: boolean | number | string;
  /** Users (by email) who may see the operator page. */
  operatorEmails: string[];
  /** Daily exchange rates endpoint (JSON {base, date, rates:{CODE: rate}}); null: rates are entered or imported only. */
  ratesUrl: string | null;
  version: string;
  jwtSecret: string;
  /** SendGrid is used only when a key is set; otherwise mail goes to the outbox table. */
  sendgrid: { apiKey: string | null; apiUrl: string };
  mailFrom: string;
  /** heavyPerMinute: forecasts, exports and import uploads one user may start a minute (each kind counted apart). */
  rateLimits: { windowSeconds: number; loginPerAccount: number; loginPerIp: number; emailPerAccount: number; emailPerIp: number; heavyPerMinute: number };
  /** Google sign-in is offered only when a client id and secret are set. */
  google: { clientId: string | null; clientSecret: string | null; authUrl: string; tokenUrl: string; userinfoUrl: string };
  ai: AiConfig | null;
  receipts: ReceiptsConfig;
  /** The Chromium that renders the P&L as a PDF, or null: the PDF link then opens the print view. */
  pdfChromium: string | null;
  embeddings: EmbeddingsConfig | null;
  /** How long POST /api/v1/imports waits for the import before it answers 202. */
  importWaitMs: number;
  /**
   * Whether the web process runs the job workers and the schedule: `auto` does on
   * embedded PGlite (one process owns the database) and leaves it to the `jobs` app on PostgreSQL.
   */
  jobsInWeb: 'auto' | 'always' | 'never';
  /**
   * Keys that seal integration credentials: the environment's (the first encrypts, all
   * decrypt, so a rotation can still open what the old key sealed), else outside
   * production a key file made at random on first use. Production refuses to store a
   * credential without ENCRYPTION_KEY.
   */
  encryption: { keys: string[]; keyFile: string | null };
  stripe: StripeConfig;
  /** How long one request to a provider may take before it is abandoned (and retried). */
  providerTimeoutMs: number;
  /**
   * Whether a start applies pending migrations (`auto`: outside production) or only checks
   * that none this build needs is missing, and refuses to serve if one is.
   */
  migrateOnStart: boolean;
  /** A request slower than this is logged as a warning ("slow request"). */
  slowRequestMs: number;
};

export class ConfigError extends Error {}

/** Parses an environment into a Config; throws ConfigError with one line naming the variable. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env, version = '0.0.0'): Config {
  const parsed = schema.safeParse(env);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const name = String(issue.path[0] ?? 'environment');
    throw new ConfigError(`Invalid environment variable ${name}: ${issue.message}`);
  }
  const e = parsed.data;
  const isProduction = e.NODE_ENV === 'production';
  if (isProduction && !e.SESSION_SECRET) {
    throw new ConfigError('Invalid environment variable SESSION_SECRET: required in production');
  }
  if (isProduction && !e.DATABASE_URL) {
    throw new ConfigError('Invalid environment variable DATABASE_URL: required in production');
  }
  if (isProduction && !e.JWT_SECRET) {
    throw new ConfigError('Invalid environment variable JWT_SECRET: required in production');
  }
  if (e.RECEIPTS_STORAGE === 's3') {
    for (const name of ['S3_ENDPOINT', 'S3_BUCKET', 'S3_ACCESS_KEY_ID', 'S3_SECRET_ACCESS_KEY'] as const) {
      if (!e[name]) throw new ConfigError(`Invalid environment variable ${name}: required when RECEIPTS_STORAGE=s3`);
    }
  }
  return {
    env: e.NODE_ENV,
    isProduction,
    port: e.PORT,
    host: e.HOST,
    appUrl: e.APP_URL ?? `http://${e.HOST === '0.0.0.0' ? 'localhost' : e.HOST}:${e.PORT}`,
    databaseUrl: e.DATABASE_URL ? e.DATABASE_URL : null,
    databasePoolMax: e.DATABASE_POOL_MAX,
    pgliteDir: e.PGLITE_DIR,
    // Unset outside production: the instance makes its own (withInstanceSecrets) once the database is open.
    sessionSecret: e.SESSION_SECRET ?? '',
    logLevel: e.LOG_LEVEL,
    seedDemo: !isProduction && e.SEED_DEMO === 'auto',
    trustProxy: e.TRUST_PROXY === 'true' ? true : e.TRUST_PROXY === 'false' ? false : /^\d+$/.test(e.TRUST_PROXY) ? Number(e.TRUST_PROXY) : e.TRUST_PROXY,
    operatorEmails: e.OPERATOR_EMAILS.split(',')
      .map((x) => x.trim().toLowerCase())
      .filter(Boolean),
    ratesUrl: e.RATES_URL ?? null,
    version,
    jwtSecret: e.JWT_SECRET ?? '',
    sendgrid: { apiKey: e.SENDGRID_API_KEY ? e.SENDGRID_API_KEY : null, apiUrl: e.SENDGRID_API_URL },
    mailFrom: e.MAIL_FROM,
    rateLimits: {
      windowSeconds: e.RATE_LIMIT_WINDOW_SECONDS,
      loginPerAccount: e.RATE_LIMIT_LOGIN_PER_ACCOUNT,
      loginPerIp: e.RATE_LIMIT_LOGIN_PER_IP,
      emailPerAccount: e.RATE_LIMIT_EMAIL_PER_ACCOUNT,
      emailPerIp: e.RATE_LIMIT_EMAIL_PER_IP,
      heavyPerMinute: e.RATE_LIMIT_HEAVY_PER_MINUTE,
    },
    google: {
      clientId: e.GOOGLE_CLIENT_ID ? e.GOOGLE_CLIENT_ID : null,
      clientSecret: e.GOOGLE_CLIENT_SECRET ? e.GOOGLE_CLIENT_SECRET : null,
      authUrl: e.GOOGLE_AUTH_URL,
      tokenUrl: e.GOOGLE_TOKEN_URL,
      userinfoUrl: e.GOOGLE_USERINFO_URL,
    },
    ai: e.OPENAI_API_KEY ? { apiKey: e.OPENAI_API_KEY, baseUrl: e.OPENAI_BASE_URL || null, model: e.OPENAI_MODEL, timeoutMs: e.OPENAI_TIMEOUT_MS } : null,
    receipts: {
      storage: e.RECEIPTS_STORAGE,
      dir: e.RECEIPTS_DIR,
      maxBytes: e.RECEIPT_MAX_BYTES,
      s3:
        e.S3_ENDPOINT && e.S3_BUCKET && e.S3_ACCESS_KEY_ID && e.S3_SECRET_ACCESS_KEY
          ? { endpoint: e.S3_ENDPOINT, bucket: e.S3_BUCKET, region: e.S3_REGION, accessKeyId: e.S3_ACCESS_KEY_ID, secretAccessKey: e.S3_SECRET_ACCESS_KEY }
          : null,
    },
    pdfChromium: chromiumFor(e.PDF_CHROMIUM),
    embeddings:
      e.OPENAI_API_KEY && e.OPENAI_EMBEDDINGS_MODEL
        ? { apiKey: e.OPENAI_API_KEY, baseUrl: e.OPENAI_BASE_URL || null, model: e.OPENAI_EMBEDDINGS_MODEL, timeoutMs: Math.min(e.OPENAI_TIMEOUT_MS, 15_000) }
        : null,
    importWaitMs: e.IMPORT_WAIT_MS,
    jobsInWeb: e.JOBS_IN_WEB,
    encryption: {
      keys: (e.ENCRYPTION_KEY ?? '')
        .split(',')
        .map((k) => k.trim())
        .filter(Boolean),
      keyFile: isProduction ? null : e.ENCRYPTION_KEY_FILE,
    },
    stripe: {
      secretKey: e.STRIPE_SECRET_KEY || null,
      connectClientId: e.STRIPE_CONNECT_CLIENT_ID || null,
      webhookSecret: e.STRIPE_WEBHOOK_SECRET || null,
      apiBase: e.STRIPE_API_BASE || null,
      connectBase: e.STRIPE_CONNECT_BASE.replace(/\/+$/, ''),
    },
    providerTimeoutMs: e.PROVIDER_TIMEOUT_MS,
    migrateOnStart: e.MIGRATE_ON_START === 'always' || (e.MIGRATE_ON_START === 'auto' && !isProduction),
    slowRequestMs: e.SLOW_REQUEST_MS,
  };
}

/** `auto`: Debian's or Ubuntu's Chromium when installed; `off`: none; else the path given, if it exists. */
function chromiumFor(setting: string): string | null {
  if (setting === 'off') return null;
  const candidates = setting === 'auto' ? ['/usr/bin/chromium', '/usr/bin/chromium-browser'] : [setting];
  return candidates.find((p) => existsSync(p)) ?? null;
}

/** A config for tests: in-memory database, quiet logs, secrets of its own. */
export function testConfig(overrides: Partial<Config> = {}): Config {
  const secrets = { sessionSecret: randomBytes(32).toString('hex'), jwtSecret: randomBytes(32).toString('hex') };
  // Heavy work is not rationed in tests (a fixed clock never opens a new window); the test of the allowance sets its own.
  // Stored files (receipts, statements waiting to import) go to a folder of the test's own.
  const RECEIPTS_DIR = path.join(os.tmpdir(), `bursar-test-store-${randomBytes(6).toString('hex')}`);
  // Credentials are sealed with a key of the test's own (never a file, never a constant).
  const ENCRYPTION_KEY = randomBytes(32).toString('hex');
  return {
    ...loadConfig({ NODE_ENV: 'test', LOG_LEVEL: 'silent', SEED_DEMO: 'never', RATE_LIMIT_HEAVY_PER_MINUTE: '100000', RECEIPTS_DIR, ENCRYPTION_KEY, PDF_CHROMIUM: 'off' }),
    ...secrets,
    ...overrides,
  };
}
