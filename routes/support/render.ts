import type { Request, Response } from 'express';
import { csrfToken } from './csrf.ts';
import { takeFlash } from './session.ts';
import { renderTemplate } from './views.ts';
import { fragmentCache, fragmentKey, type VersionedBusiness } from './fragment-cache.ts';

/** An htmx request that wants a fragment; boosted navigations and history restores want the page. */
export function wantsFragment(req: Request): boolean {
  return req.get('HX-Request') === 'true' && req.get('HX-Boosted') !== 'true' && req.get('HX-History-Restore-Request') !== 'true';
}

/**
 * The page an htmx request was sent from (htmx's HX-Current-URL header), so a swap that
 * changes a row can also bring that page's counters up to date for the filter the page
 * shows. Null without the header. Callers read only its path and query: what it names is
 * validated and scoped to the request's business like any other input.
 */
export function currentPage(req: Request): URL | null {
  return URL.parse(req.get('HX-Current-URL') ?? '');
}

export function wantsJson(req: Request): boolean {
  if (req.path.startsWith('/api/') || req.originalUrl.startsWith('/api/') || req.originalUrl.startsWith('/mcp')) return true;
  return req.accepts(['html', 'json']) === 'json';
}

type View = { page: string; partial?: string; status?: number };

/**
 * Renders the full page, or only its partial for an htmx fragment request. Both get
 * the same data; the page `include`s the partial, so fragment markup exists once.
 */
export function render(req: Request, res: Response, view: View, data: Record<string, unknown> = {}): void {
  res.vary('HX-Request');
  const fragment = view.partial && wantsFragment(req);
  const context = { ...data, csrfToken: req.session ? csrfToken(req) : undefined, path: req.originalUrl };
  if (!fragment) Object.assign(context, { flash: req.session ? takeFlash(req) : [] });
  const html = renderTemplate(req.app, res.locals, fragment ? view.partial! : view.page, context);
  res
    .status(view.status ?? 200)
    .type('html')
    .send(html);
}

/**
 * `render` for a report whose fragment depends only on the business's figures and the
 * route's `key` (its period), never on who asks: the fragment is rendered once per data
 * version and reused until the business's figures change. It sees `business` and what
 * `load` returns, nothing of the user, the session or the role. The page shows it as
 * `fragment`, so its markup still exists once; the page around it is rendered for each
 * request (it carries the viewer's session and name), with `pageOnly`: data of the page
 * that the business's data version does not follow (the dashboard's first-run checklist).
 */
export async function renderCached(
  req: Request,
  res: Response,
  view: Required<Pick<View, 'page' | 'partial'>>,
  key: string,
  load: () => Promise<Record<string, unknown>>,
  pageOnly?: Record<string, unknown> | null,
): Promise<void> {
  const business = res.locals.business;
  const fragment = await fragmentCache(req.app).getOrCreate(fragmentKey(business, view.partial, key), async () => renderTemplate(req.app, { business }, view.partial, await load()));
  res.vary('HX-Request');
  if (wantsFragment(req)) {
    res.type('html').send(fragment);
    return;
  }
  render(req, res, { page: view.page }, { fragment, ...pageOnly });
}

/** A JSON API body kept the same way: built once per data version of the business and `key`. */
export async function sendCachedJson(req: Request, res: Response, business: VersionedBusiness, key: string, load: () => Promise<unknown>): Promise<void> {
  const body = await fragmentCache(req.app).getOrCreate(fragmentKey(business, 'json', key), async () => JSON.stringify(await load()));
  res.type('json').send(body);
}

/**
 * After a successful form post: a 303 for a plain form, or HX-Redirect for htmx,
 * which would otherwise follow the redirect and swap a whole page into the form.
 */
export function redirectAfterPost(req: Request, res: Response, url: string): void {
  if (req.get('HX-Request') === 'true') {
    res.set('HX-Redirect', url).status(204).end();
    return;
  }
  res.redirect(303, url);
}
