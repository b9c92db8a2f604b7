/**
 * A page of HTML printed to PDF by headless Chromium (playwright-core drives the Chromium
 * the operator installed; nothing is downloaded). Returns null when there is no Chromium
 * to use, so the caller can offer the print view instead.
 */
export async function htmlToPdf(html: string, chromiumPath: string | null): Promise<Buffer | null> {
  if (!chromiumPath) return null;
  let chromium: typeof import('playwright-core').chromium;
  try {
    ({ chromium } = await import('playwright-core'));
  } catch {
    // Installed without playwright-core (npm ci --omit=dev of an older package.json): no PDF, the print view instead.
    return null;
  }
  const browser = await chromium.launch({
    executablePath: chromiumPath,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
  try {
    const page = await browser.newPage();
    // The page is self-contained (styles inlined); it must not reach anywhere while it renders.
    await page.route('**/*', (route) => route.abort());
    await page.setContent(html, { waitUntil: 'load' });
    return await page.pdf({ format: 'A4', landscape: true, printBackground: true, preferCSSPageSize: true });
  } finally {
    await browser.close();
  }
}
