import { createRequire } from 'node:module';
import type { Page } from 'playwright-core';

/**
 * Every page a member reaches by following links from a business's dashboard: the business
 * pages, one of each detail page (an expense, an import, a scenario, a chat), and the account
 * pages. Ids are collapsed so a list of a thousand expenses is walked once, not a thousand times.
 */
export async function reachablePages(page: Page, baseUrl: string, businessId: string, limit = 80): Promise<string[]> {
  const start = `/b/${businessId}`;
  const seen = new Set<string>();
  const shapes = new Set<string>();
  const queue = [start, '/account/profile', '/businesses'];
  const pages: string[] = [];
  while (queue.length && pages.length < limit) {
    const path = queue.shift()!;
    if (seen.has(path)) continue;
    seen.add(path);
    const response = await page.goto(baseUrl + path);
    if (!response || response.status() !== 200 || !(response.headers()['content-type'] ?? '').startsWith('text/html')) continue;
    pages.push(path);
    const hrefs = await page.$$eval('a[href]', (as) => as.map((a) => (a as HTMLAnchorElement).getAttribute('href') ?? ''));
    for (const href of hrefs) {
      const url = new URL(href, baseUrl + path);
      if (url.origin !== baseUrl || (url.hash && url.pathname === new URL(baseUrl + path).pathname)) continue;
      const next = url.pathname + (url.pathname.endsWith('/rows') ? url.search : '');
      if (!isWalkable(next, businessId)) continue;
      const shape = next.replace(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g, ':id').replace(/\?.*$/, '');
      if (shapes.has(shape)) continue;
      shapes.add(shape);
      queue.push(next);
    }
  }
  return pages;
}

function isWalkable(path: string, businessId: string): boolean {
  if (/\.(csv|png|jpe?g|webp|pdf|svg)$|\/thumbnail$|\/stream$|\/receipts\/[0-9a-f-]{36}$/.test(path)) return false;
  if (path.startsWith('/static') || path.startsWith('/vendor') || path.startsWith('/auth/') || path.startsWith('/dev/')) return false;
  return path.startsWith(`/b/${businessId}`) || path.startsWith('/account/') || path === '/businesses' || path === '/businesses/new';
}

const AXE = createRequire(import.meta.url).resolve('axe-core/axe.min.js');

type Violation = { id: string; impact: string; help: string; nodes: { target: string[] }[] };

/** axe-core's serious and critical findings on the page as it is now (the page's context must bypass the CSP to inject it). */
export async function seriousViolations(page: Page): Promise<string[]> {
  if (!(await page.evaluate(() => 'axe' in window))) await page.addScriptTag({ path: AXE });
  const violations = (await page.evaluate(() =>
    (window as unknown as { axe: { run: (ctx: Document, opts: object) => Promise<{ violations: unknown[] }> } }).axe.run(document, { resultTypes: ['violations'] }).then((r) => r.violations),
  )) as Violation[];
  return violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map(
      (v) =>
        `${v.id} (${v.impact}): ${v.help} at ${v.nodes
          .slice(0, 3)
          .map((n) => n.target.join(' '))
          .join(', ')}`,
    );
}
