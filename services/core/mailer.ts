import path from 'node:path';
import { fileURLToPath } from 'node:url';
import nunjucks from 'nunjucks';
import juice from 'juice';
import { MailService } from '@sendgrid/mail';
import { Client } from '@sendgrid/client';
import type { Db } from './db.ts';
import type { Config } from './config.ts';
import type { Logger } from './logger.ts';
import { isUuid } from './ids.ts';

const VIEWS = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'views');

/** Email templates live in views/emails as <name>.html.njk and <name>.txt.njk, the HTML ones on emails/layout.html.njk. */
export type Template = 'magic-link' | 'password-reset' | 'invitation' | 'digest';

/** `headers`: extra mail headers (a digest's List-Unsubscribe pair), sent as given and kept in the outbox. */
export type Message = { to: string; subject: string; template: Template; data: Record<string, unknown>; headers?: Record<string, string> };

export type Delivery = { via: 'sendgrid' | 'outbox'; id: string | null };

const html = new nunjucks.Environment(new nunjucks.FileSystemLoader(VIEWS), { autoescape: true });
// Plain text must not be HTML-escaped: an "&" in a business name stays an "&".
const text = new nunjucks.Environment(new nunjucks.FileSystemLoader(VIEWS), { autoescape: false });

/**
 * The layout's style element moved into style attributes, since several mail clients drop
 * or ignore style elements; media queries (dark mode, narrow screens) stay in one. No
 * attributes are made from CSS (width, bgcolor: obsolete HTML), and nothing is fetched.
 */
const INLINE_OPTIONS: juice.Options = {
  removeStyleTags: true,
  preserveMediaQueries: true,
  preserveImportant: true,
  applyWidthAttributes: false,
  applyHeightAttributes: false,
  applyAttributesTableElements: false,
};

/** The HTML and text bodies of a message; pure, so the outbox and SendGrid get the same thing. */
export function renderMessage(message: Message): { html: string; text: string } {
  return {
    html: juice(html.render(`emails/${message.template}.html.njk`, { ...message.data, subject: message.subject }), INLINE_OPTIONS),
    text: text.render(`emails/${message.template}.txt.njk`, { ...message.data, subject: message.subject }),
  };
}

/**
 * Sends a message through SendGrid when a key is configured, else writes it to the
 * outbox table (read at /dev/outbox). Throws when SendGrid refuses the message, so
 * a caller never tells a user "sent" for mail that went nowhere.
 */
export async function sendMail(db: Db, config: Pick<Config, 'sendgrid' | 'mailFrom'>, logger: Logger, message: Message): Promise<Delivery> {
  const body = renderMessage(message);
  if (!config.sendgrid.apiKey) {
    const [row] = await db('outbox')
      .insert({ to_address: message.to, subject: message.subject, template: message.template, html: body.html, text: body.text, headers: JSON.stringify(message.headers ?? {}) })
      .returning('id');
    return { via: 'outbox', id: row.id };
  }
  const service = new MailService();
  const client = new Client();
  client.setApiKey(config.sendgrid.apiKey);
  // setApiKey resets the base URL to SendGrid's, so the configured one is set after it.
  client.setDefaultRequest('baseUrl', config.sendgrid.apiUrl);
  service.setClient(client);
  try {
    const [response] = await service.send({
      to: message.to,
      from: config.mailFrom,
      subject: message.subject,
      html: body.html,
      text: body.text,
      categories: [message.template],
      ...(message.headers ? { headers: message.headers } : {}),
    });
    const id = response.headers['x-message-id'];
    return { via: 'sendgrid', id: typeof id === 'string' ? id : null };
  } catch (err) {
    const errors = (err as { response?: { body?: unknown } }).response?.body;
    logger.error({ template: message.template, errors }, 'SendGrid refused a message');
    throw err;
  }
}

export type OutboxMessage = { id: string; to_address: string; subject: string; template: string; html: string; text: string; headers: Record<string, string>; created_at: Date };

/** The newest messages of the development outbox. */
export async function listOutbox(db: Db, limit = 50): Promise<OutboxMessage[]> {
  return db('outbox').orderBy('created_at', 'desc').orderBy('id').limit(limit);
}

/** One outbox message, or null. */
export async function findOutboxMessage(db: Db, id: string): Promise<OutboxMessage | null> {
  if (!isUuid(id)) return null;
  return (await db('outbox').where({ id }).first()) ?? null;
}
