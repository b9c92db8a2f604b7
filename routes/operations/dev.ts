import { Router } from 'express';
import * as mailer from '../../services/core/mailer.ts';
import { Forbidden, NotFound } from '../../services/core/errors.ts';
import { isOperator } from '../../services/access/operators.ts';
import type { AppDeps } from '../support/deps.ts';
import { render } from '../support/render.ts';
import { requireUser } from '../support/auth.ts';

/**
 * Developer pages, mounted only outside production: the outbox where mail lands
 * when no SendGrid key is set, so a magic link can be followed on a laptop. Only the
 * instance's operators may read it: every sign-in and reset link is in there.
 */
export function devRoutes({ db, config }: AppDeps): Router {
  const router = Router();
  router.use('/dev', requireUser, (_req, res, next) => {
    if (!isOperator(config, res.locals.user.email)) return next(new Forbidden('The outbox is for the people who run this Bursar instance.'));
    next();
  });

  router.get('/dev/outbox', async (req, res) => {
    const messages = await mailer.listOutbox(db);
    render(req, res, { page: 'pages/dev/outbox.njk' }, { messages });
  });

  router.get('/dev/outbox/:id', async (req, res) => {
    const message = await mailer.findOutboxMessage(db, req.params.id);
    if (!message) throw new NotFound('There is no such message in the outbox.');
    render(req, res, { page: 'pages/dev/message.njk' }, { message });
  });

  // The HTML body as a mail client would show it: inline styles allowed, nothing else.
  router.get('/dev/outbox/:id/html', async (req, res) => {
    const message = await mailer.findOutboxMessage(db, req.params.id);
    if (!message) throw new NotFound('There is no such message in the outbox.');
    res.set('Content-Security-Policy', "default-src 'none'; style-src 'unsafe-inline'; img-src data:; frame-ancestors 'self'");
    res.set('X-Frame-Options', 'SAMEORIGIN');
    res.type('html').send(message.html);
  });

  return router;
}
