import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { mkdirSync } from 'node:fs';
import { chromium, type Browser, type Page } from 'playwright-core';
import { createApp } from '../../server.ts';
import { testConfig, type Config } from '../../services/core/config.ts';
import { createLogger } from '../../services/core/logger.ts';
import { fixedClock } from '../../services/core/clock.ts';
import { seedDemo } from '../../services/demo.ts';
import { createTestDb } from '../helpers.ts';
import { createWorker } from '../../services/jobs/worker.ts';
import { JOBS } from '../../jobs/registry.ts';

export const SCREENSHOTS = 'test-results/screenshots';

/** The app with a small demo data set on a free port, and Debian's Chromium driving it. */
export async function startBrowserSession(opts: { days?: number; config?: Partial<Config> } = {}) {
  const { db, drop } = await createTestDb();
  const clock = fixedClock('2026-11-25T12:00:00Z');
  await seedDemo(db, clock, { days: opts.days ?? 90 });
  const config = testConfig(opts.config);
  const logger = createLogger('silent');
  // A worker runs what the pages start (an import), as in embedded mode; no schedule, no background refresh.
  const worker = createWorker({ db, config, clock, logger }, JOBS, { pollMs: 250 });
  worker.start();
  const app = createApp({ db, config, clock, logger, jobs: worker });
  const server: Server = await new Promise((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  const baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  // Links the app builds for others to follow (OAuth redirects, mail) point at this server.
  config.appUrl = baseUrl;
  const browser: Browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'],
  });
  mkdirSync(SCREENSHOTS, { recursive: true });
  return {
    baseUrl,
    browser,
    db,
    async close() {
      await worker.stop(1000);
      await browser.close();
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
      await drop();
    },
  };
}

/** Signs the page in as the demo owner through the form, and waits for the first business page. */
export async function signInAsDemo(page: Page, baseUrl: string): Promise<void> {
  await page.goto(`${baseUrl}/login`);
  await page.fill('#f-email', 'demo@bursar.local');
  await page.fill('#f-password', 'bursar-demo');
  await page.click('button[type=submit]:has-text("Sign in")');
  await page.waitForURL(/\/b\/[0-9a-f-]{36}$/);
}

/** Follows a business navigation link as a person would, opening the "More" menu when the link lives there. */
export async function navTo(page: Page, label: string): Promise<void> {
  const link = page.locator('nav.mainnav a', { hasText: label }).first();
  if (!(await link.isVisible())) await page.click('nav.mainnav .more-menu summary');
  await link.click();
}
