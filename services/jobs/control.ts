import { randomBytes, timingSafeEqual } from 'node:crypto';
import { readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Config } from '../core/config.ts';
import type { Logger } from '../core/logger.ts';

/**
 * How `npm run job` reaches a running `npm start` on embedded PGlite, whose database no
 * second process may open: the web process writes its address and a fresh token beside
 * the database (readable by its owner only), and takes job requests at POST /internal/jobs
 * carrying that token. The file goes when the process stops.
 */
export type Control = { token: string; close(): Promise<void> };
export type ControlFile = { pid: number; url: string; token: string };

export function controlFilePath(config: Config): string {
  return `${path.resolve(config.pgliteDir)}.control.json`;
}

export async function openControl(config: Config, logger: Logger): Promise<Control> {
  const token = randomBytes(32).toString('hex');
  const file = controlFilePath(config);
  const url = `http://${config.host === '0.0.0.0' ? '127.0.0.1' : config.host}:${config.port}`;
  await writeFile(file, JSON.stringify({ pid: process.pid, url, token } satisfies ControlFile), { mode: 0o600 });
  logger.debug({ file }, 'job control file written');
  return { token, close: () => rm(file, { force: true }) };
}

/** The running app's control file, if one is there and its process is alive. */
export async function findRunningApp(config: Config): Promise<ControlFile | null> {
  let found: ControlFile;
  try {
    found = JSON.parse(await readFile(controlFilePath(config), 'utf8'));
  } catch {
    return null;
  }
  try {
    process.kill(found.pid, 0);
    return found;
  } catch {
    return null;
  }
}

export function tokenMatches(expected: string, given: string | undefined): boolean {
  if (!given) return false;
  const a = Buffer.from(expected);
  const b = Buffer.from(given);
  return a.length === b.length && timingSafeEqual(a, b);
}
