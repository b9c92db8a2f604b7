import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomBytes } from 'node:crypto';
import { readBody } from './body.ts';

/** What the fake received for one accepted POST /v3/mail/send. */
export type ReceivedMail = { authorization: string; contentType: string; body: any };

const API_KEY = 'SG.fake-key-for-tests';

/**
 * A local SendGrid v3 Mail Send endpoint: Bearer auth, 202 with an empty body and an
 * X-Message-Id header when accepted; 401 and 400 in SendGrid's `{errors:[{message,field,help}]}` shape,
 * and a 500 in that shape for requests a test asked to fail (`failNext`).
 */
export async function startFakeSendGrid() {
  const received: ReceivedMail[] = [];
  let failures = 0;
  const server: Server = createServer(async (req, res) => {
    const raw = await readBody(req);
    const json = (status: number, body: unknown) => {
      res.writeHead(status, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    if (failures > 0) {
      failures--;
      return json(500, { errors: [{ message: 'Internal Server Error', field: null, help: null }] });
    }
    if (req.method !== 'POST' || req.url !== '/v3/mail/send') {
      return json(404, { errors: [{ message: 'Not Found', field: null, help: null }] });
    }
    if (req.headers.authorization !== `Bearer ${API_KEY}`) {
      return json(401, { errors: [{ message: 'The provided authorization grant is invalid, expired, or revoked', field: null, help: null }] });
    }
    let body: any;
    try {
      body = JSON.parse(raw);
    } catch {
      return json(400, { errors: [{ message: 'Invalid JSON', field: null, help: null }] });
    }
    const problems: { message: string; field: string; help: string }[] = [];
    if (!body.from?.email)
      problems.push({ message: 'The from object must be provided for every email send.', field: 'from', help: 'http://sendgrid.com/docs/API_Reference/Web_API_v3/Mail/errors.html#message.from' });
    if (!Array.isArray(body.personalizations) || !body.personalizations[0]?.to?.length) {
      problems.push({
        message: 'The personalizations field is required and must have at least one personalization.',
        field: 'personalizations',
        help: 'http://sendgrid.com/docs/API_Reference/Web_API_v3/Mail/errors.html#-Personalizations-Errors',
      });
    }
    if (!body.subject && !body.personalizations?.[0]?.subject)
      problems.push({ message: 'The subject is required.', field: 'subject', help: 'http://sendgrid.com/docs/API_Reference/Web_API_v3/Mail/errors.html#message.subject' });
    if (problems.length) return json(400, { errors: problems });
    received.push({ authorization: req.headers.authorization, contentType: String(req.headers['content-type']), body });
    res.writeHead(202, { 'X-Message-Id': randomBytes(11).toString('base64url') });
    res.end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  return {
    url,
    apiKey: API_KEY,
    received,
    /** The next `n` requests get SendGrid's 500, accepted by nobody. */
    failNext(n: number) {
      failures = n;
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
