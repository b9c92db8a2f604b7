import type { Request, Response } from 'express';
import { renderTemplate } from './views.ts';

/** Starts a text/event-stream response; proxies are told not to buffer it. */
export function openEventStream(res: Response): void {
  res.status(200).set({ 'Content-Type': 'text/event-stream; charset=utf-8', 'Cache-Control': 'no-cache, no-transform', 'X-Accel-Buffering': 'no' });
  res.flushHeaders();
}

/** One server-sent event; a multi-line payload becomes several `data:` lines, which the browser joins with "\n". */
export function sendEvent(res: Response, event: string, data: string): void {
  if (res.writableEnded || res.destroyed) return;
  res.write(
    `event: ${event}\n${data
      .split(/\r?\n/)
      .map((line) => `data: ${line}`)
      .join('\n')}\n\n`,
  );
}

/** Renders a view to a string with the app's template environment (for an event's HTML). */
export function renderToString(req: Request, view: string, data: Record<string, unknown>): Promise<string> {
  return Promise.resolve(renderTemplate(req.app, {}, view, data).trim());
}
