import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomBytes } from 'node:crypto';
import { readBody } from './body.ts';

/**
 * A local Stripe for tests and demos, speaking Stripe's wire format: form-encoded
 * requests, Bearer auth with the platform's secret key, the `Stripe-Account` header
 * scoping every read to a connected account, list envelopes
 * (`{object:'list', data, has_more, url}`, newest first, `limit`/`starting_after`/
 * `ending_before`, `created[gte]`), `expand[]`, error bodies
 * (`{error:{type, code, message}}`), 429 with `Retry-After`, and the Connect OAuth
 * pages and token endpoint (`/oauth/authorize`, `/oauth/token`, `/oauth/deauthorize`).
 * Objects carry Stripe's documented field names. Amounts are minor units.
 */

type Obj = Record<string, any>;

export type FakeAccount = {
  account: Obj;
  balance_transactions: Obj[];
  charges: Map<string, Obj>;
  refunds: Map<string, Obj>;
  disputes: Map<string, Obj>;
  payouts: Map<string, Obj>;
  subscriptions: Map<string, Obj>;
  events: Obj[];
  revoked: boolean;
};

export type ReceivedRequest = { method: string; path: string; query: URLSearchParams; account: string | null };

const id = (prefix: string) => `${prefix}_${randomBytes(12).toString('base64url').replace(/[-_]/g, 'x')}`;

/** Newest first, as Stripe lists: by `created`, then by insertion (later first). */
function newestFirst(objects: Obj[]): Obj[] {
  return objects
    .map((o, i) => ({ o, i }))
    .sort((a, b) => b.o.created - a.o.created || b.i - a.i)
    .map((x) => x.o);
}

/**
 * `account`: what the OAuth page connects (a new empty account each time by default);
 * `latencyMs`: a delay before each API answer, so a demo's progress bar has time to move.
 */
export async function startFakeStripe(opts: { port?: number; account?: () => FakeAccount; latencyMs?: number } = {}) {
  const secretKey = `sk_test_${randomBytes(24).toString('hex')}`;
  const clientId = `ca_${randomBytes(16).toString('hex')}`;
  const webhookSecret = `whsec_${randomBytes(24).toString('base64url')}`;
  const accounts = new Map<string, FakeAccount>();
  const codes = new Map<string, string>();
  const requests: ReceivedRequest[] = [];
  /** Access tokens handed out by the token endpoint, for tests that look for them where they must not be. */
  const issued: string[] = [];
  /** Requests still to refuse with 429 (then served). */
  let rateLimited = 0;
  /** Requests still to fail with 500, e.g. to cut a backfill short. */
  let failing = 0;
  /** Only requests matching this are failed (all when null). */
  let failWhen: ((r: ReceivedRequest) => boolean) | null = null;
  let clock = Math.floor(Date.UTC(2026, 10, 25, 12) / 1000);

  const errorBody = (type: string, message: string, extra: Obj = {}) => ({ error: { type, message, ...extra } });

  function addAccount(input: { id?: string; name?: string; created?: number; currency?: string } = {}): FakeAccount {
    const accountId = input.id ?? id('acct');
    const account: FakeAccount = {
      account: {
        id: accountId,
        object: 'account',
        type: 'standard',
        business_profile: { name: input.name ?? 'Fake Coffee Roasters', url: null },
        settings: { dashboard: { display_name: input.name ?? 'Fake Coffee Roasters' } },
        email: 'owner@example.com',
        country: 'US',
        default_currency: input.currency ?? 'usd',
        created: input.created ?? clock - 400 * 86_400,
        charges_enabled: true,
        payouts_enabled: true,
      },
      balance_transactions: [],
      charges: new Map(),
      refunds: new Map(),
      disputes: new Map(),
      payouts: new Map(),
      subscriptions: new Map(),
      events: [],
      revoked: false,
    };
    accounts.set(accountId, account);
    return account;
  }

  function balanceTransaction(a: FakeAccount, input: { type: string; amount: number; fee: number; source: string; created: number; currency?: string; description?: string | null }): Obj {
    const bt = {
      id: id('txn'),
      object: 'balance_transaction',
      amount: input.amount,
      available_on: input.created + 2 * 86_400,
      created: input.created,
      currency: input.currency ?? 'usd',
      description: input.description ?? null,
      exchange_rate: null,
      fee: input.fee,
      fee_details: input.fee ? [{ amount: input.fee, application: null, currency: input.currency ?? 'usd', description: 'Stripe processing fees', type: 'stripe_fee' }] : [],
      net: input.amount - input.fee,
      reporting_category: input.type === 'charge' ? 'charge' : input.type === 'refund' ? 'refund' : input.type === 'payout' ? 'payout' : input.type,
      source: input.source,
      status: 'available',
      type: input.type,
    };
    a.balance_transactions.push(bt);
    return bt;
  }

  function charge(a: FakeAccount, input: { amount: number; currency?: string; fee?: number; created?: number; name?: string; email?: string; description?: string }): Obj {
    const created = input.created ?? clock;
    const chargeId = id('ch');
    const fee = input.fee ?? Math.round(input.amount * 0.029) + 30;
    const bt = balanceTransaction(a, { type: 'charge', amount: input.amount, fee, source: chargeId, created, currency: input.currency, description: input.description ?? null });
    const ch = {
      id: chargeId,
      object: 'charge',
      amount: input.amount,
      amount_captured: input.amount,
      amount_refunded: 0,
      balance_transaction: bt.id,
      billing_details: { address: null, email: input.email ?? null, name: input.name ?? null, phone: null },
      captured: true,
      created,
      currency: input.currency ?? 'usd',
      customer: null,
      description: input.description ?? null,
      disputed: false,
      livemode: false,
      paid: true,
      receipt_email: input.email ?? null,
      refunded: false,
      status: 'succeeded',
    };
    a.charges.set(chargeId, ch);
    return ch;
  }

  function refund(a: FakeAccount, chargeId: string, input: { amount?: number; created?: number } = {}): Obj {
    const ch = a.charges.get(chargeId);
    if (!ch) throw new Error(`no charge ${chargeId}`);
    const amount = input.amount ?? ch.amount;
    const created = input.created ?? clock;
    const refundId = id('re');
    const bt = balanceTransaction(a, { type: 'refund', amount: -amount, fee: 0, source: refundId, created, currency: ch.currency, description: 'REFUND FOR CHARGE' });
    const re = { id: refundId, object: 'refund', amount, balance_transaction: bt.id, charge: chargeId, created, currency: ch.currency, reason: 'requested_by_customer', status: 'succeeded' };
    a.refunds.set(refundId, re);
    ch.amount_refunded += amount;
    ch.refunded = ch.amount_refunded >= ch.amount;
    return re;
  }

  function dispute(a: FakeAccount, chargeId: string, input: { created?: number; fee?: number } = {}): Obj {
    const ch = a.charges.get(chargeId);
    if (!ch) throw new Error(`no charge ${chargeId}`);
    const created = input.created ?? clock;
    const disputeId = id('dp');
    const bt = balanceTransaction(a, {
      type: 'adjustment',
      amount: -ch.amount,
      fee: input.fee ?? 1500,
      source: disputeId,
      created,
      currency: ch.currency,
      description: `Chargeback withdrawal for ${chargeId}`,
    });
    const dp = { id: disputeId, object: 'dispute', amount: ch.amount, balance_transactions: [bt], charge: chargeId, created, currency: ch.currency, reason: 'fraudulent', status: 'needs_response' };
    a.disputes.set(disputeId, dp);
    ch.disputed = true;
    return dp;
  }

  function closeDispute(a: FakeAccount, disputeId: string, outcome: 'won' | 'lost', created = clock): Obj {
    const dp = a.disputes.get(disputeId);
    if (!dp) throw new Error(`no dispute ${disputeId}`);
    dp.status = outcome;
    if (outcome === 'won') {
      const fee = dp.balance_transactions[0].fee;
      dp.balance_transactions.push(
        balanceTransaction(a, { type: 'adjustment', amount: dp.amount, fee: -fee, source: disputeId, created, currency: dp.currency, description: `Chargeback reversal for ${dp.charge}` }),
      );
    }
    return dp;
  }

  function payout(a: FakeAccount, input: { amount: number; created?: number; currency?: string }): Obj {
    const created = input.created ?? clock;
    const payoutId = id('po');
    const currency = input.currency ?? a.account.default_currency;
    const bt = balanceTransaction(a, { type: 'payout', amount: -input.amount, fee: 0, source: payoutId, created, currency, description: 'STRIPE PAYOUT' });
    const po = { id: payoutId, object: 'payout', amount: input.amount, arrival_date: created + 2 * 86_400, balance_transaction: bt.id, created, currency, status: 'paid' };
    a.payouts.set(payoutId, po);
    return po;
  }

  /** A subscription in API 2026-10-28's shape (the period on each item); plain monthly or yearly, one price. */
  function subscription(a: FakeAccount, input: { amount: number; interval?: 'month' | 'year'; quantity?: number; created?: number; status?: string; customer?: string }): Obj {
    const created = input.created ?? clock;
    const subId = id('sub');
    const interval = input.interval ?? 'month';
    const periodEnd = created + (interval === 'year' ? 365 : 30) * 86_400;
    const price = {
      id: id('price'),
      object: 'price',
      active: true,
      billing_scheme: 'per_unit',
      currency: a.account.default_currency,
      recurring: { interval, interval_count: 1, usage_type: 'licensed', meter: null, trial_period_days: null },
      tiers_mode: null,
      transform_quantity: null,
      type: 'recurring',
      unit_amount: input.amount,
      unit_amount_decimal: String(input.amount),
    };
    const sub = {
      id: subId,
      object: 'subscription',
      billing_cycle_anchor: created,
      cancel_at: null,
      cancel_at_period_end: false,
      canceled_at: null,
      created,
      currency: a.account.default_currency,
      customer: input.customer ?? id('cus'),
      discounts: [],
      ended_at: null,
      items: {
        object: 'list',
        data: [
          {
            id: id('si'),
            object: 'subscription_item',
            created,
            current_period_start: created,
            current_period_end: periodEnd,
            discounts: [],
            price,
            quantity: input.quantity ?? 1,
            subscription: subId,
          },
        ],
        has_more: false,
        url: `/v1/subscription_items?subscription=${subId}`,
      },
      livemode: false,
      start_date: created,
      status: input.status ?? 'active',
      trial_end: null,
      trial_start: null,
    };
    a.subscriptions.set(subId, sub);
    return sub;
  }

  /** An event as Stripe sends it to a Connect endpoint (`account` names the connected account). */
  function event(a: FakeAccount, type: string, object: Obj, created = clock): Obj {
    const e = {
      id: id('evt'),
      object: 'event',
      account: a.account.id,
      api_version: '2026-10-28.endive',
      created,
      data: { object: structuredClone(object) },
      livemode: false,
      pending_webhooks: 1,
      request: { id: null, idempotency_key: null },
      type,
    };
    a.events.push(e);
    return e;
  }

  function objectFor(a: FakeAccount, sourceId: string): Obj | string {
    return a.charges.get(sourceId) ?? a.refunds.get(sourceId) ?? a.disputes.get(sourceId) ?? a.payouts.get(sourceId) ?? sourceId;
  }

  /** Replaces ids with their objects along the `expand[]` paths asked for (one level under `data.` for lists). */
  function expand(a: FakeAccount, o: Obj, paths: string[], inList: boolean): Obj {
    const out = { ...o };
    for (const p of paths) {
      const field = inList ? p.replace(/^data\./, '') : p;
      if (field === 'source' && typeof out.source === 'string') out.source = objectFor(a, out.source);
      if (field === 'balance_transaction' && typeof out.balance_transaction === 'string')
        out.balance_transaction = a.balance_transactions.find((b) => b.id === out.balance_transaction) ?? out.balance_transaction;
    }
    return out;
  }

  /** `expand[]=x` and `expand[0]=x` alike (the SDK sends indexed arrays). */
  const expands = (q: URLSearchParams) => [...q.entries()].filter(([k]) => /^expand\[\d*\]$/.test(k)).map(([, v]) => v);

  function list(a: FakeAccount, url: string, all: Obj[], q: URLSearchParams): Obj {
    const limit = Math.min(Math.max(Number(q.get('limit') ?? 10), 1), 100);
    let items = newestFirst(all);
    const gte = q.get('created[gte]');
    if (gte) items = items.filter((o) => o.created >= Number(gte));
    const after = q.get('starting_after');
    const before = q.get('ending_before');
    if (after) {
      const at = items.findIndex((o) => o.id === after);
      if (at < 0) throw Object.assign(new Error(`No such object: '${after}'`), { status: 400, param: 'starting_after' });
      items = items.slice(at + 1);
    } else if (before) {
      const at = items.findIndex((o) => o.id === before);
      items = at < 0 ? [] : items.slice(Math.max(0, at - limit), at);
    }
    const page = items.slice(0, limit);
    return { object: 'list', data: page.map((o) => expand(a, o, expands(q), true)), has_more: items.length > page.length, url };
  }

  const server: Server = createServer(async (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://fake');
    const raw = await readBody(req);
    const form = new URLSearchParams(raw);
    const query = req.method === 'GET' ? url.searchParams : form;
    const account = (req.headers['stripe-account'] as string | undefined) ?? null;
    const record: ReceivedRequest = { method: req.method ?? 'GET', path: url.pathname, query, account };
    requests.push(record);
    const json = (status: number, body: unknown, headers: Record<string, string> = {}) => {
      res.writeHead(status, { 'Content-Type': 'application/json', 'Request-Id': id('req'), ...headers });
      res.end(JSON.stringify(body));
    };

    // Connect OAuth: the page an owner sees, then the token exchange and deauthorisation.
    if (url.pathname === '/oauth/authorize' && req.method === 'GET') {
      const redirect = url.searchParams.get('redirect_uri');
      const state = url.searchParams.get('state') ?? '';
      if (url.searchParams.get('client_id') !== clientId || !redirect) {
        res.writeHead(400, { 'Content-Type': 'text/html' });
        return res.end('<p>Invalid client_id or redirect_uri.</p>');
      }
      if (url.searchParams.get('decision') === 'allow') {
        const a = opts.account?.() ?? addAccount({ name: 'Fake Coffee Roasters' });
        const code = id('ac');
        codes.set(code, a.account.id);
        res.writeHead(302, { Location: `${redirect}?scope=read_only&code=${code}&state=${encodeURIComponent(state)}` });
        return res.end();
      }
      const allow = new URL(url.href.replace('http://fake', ''), 'http://x');
      allow.searchParams.set('decision', 'allow');
      res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' });
      return res.end(
        `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Stripe (local fake): connect your account</title></head><body style="font-family:sans-serif;max-width:32rem;margin:4rem auto"><h1>Connect with Stripe</h1><p>This is the local Stripe fake. Bursar asks for read-only access to your Stripe account.</p><p><a id="authorize" href="${allow.pathname}${allow.search}" style="background:#635bff;color:#fff;padding:.6rem 1rem;border-radius:4px;text-decoration:none">Connect my Stripe account</a></p><p><a href="${redirect}?error=access_denied&error_description=The+user+denied+your+request&state=${encodeURIComponent(state)}">Cancel</a></p></body></html>`,
      );
    }
    if (req.headers.authorization !== `Bearer ${secretKey}`) {
      return json(401, errorBody('invalid_request_error', 'Invalid API Key provided: sk_test_****'));
    }
    if (url.pathname === '/oauth/token' && req.method === 'POST') {
      const accountId = codes.get(form.get('code') ?? '');
      if (form.get('grant_type') !== 'authorization_code' || !accountId) {
        return json(400, { error: 'invalid_grant', error_description: `Authorization code does not exist: ${form.get('code')}` });
      }
      codes.delete(form.get('code')!);
      const accessToken = `sk_test_conn_${randomBytes(24).toString('hex')}`;
      issued.push(accessToken);
      return json(200, {
        access_token: accessToken,
        livemode: false,
        refresh_token: `rt_${randomBytes(24).toString('hex')}`,
        scope: 'read_only',
        stripe_publishable_key: `pk_test_${randomBytes(12).toString('hex')}`,
        stripe_user_id: accountId,
        token_type: 'bearer',
      });
    }
    if (url.pathname === '/oauth/deauthorize' && req.method === 'POST') {
      const a = accounts.get(form.get('stripe_user_id') ?? '');
      if (!a || form.get('client_id') !== clientId) return json(400, { error: 'invalid_client', error_description: 'No such application' });
      a.revoked = true;
      return json(200, { stripe_user_id: a.account.id });
    }

    if (rateLimited > 0) {
      rateLimited--;
      return json(429, errorBody('invalid_request_error', 'Request rate limit exceeded. Learn more about rate limits here https://stripe.com/docs/rate-limits.', { code: 'rate_limit' }), {
        'Retry-After': '1',
      });
    }
    if (failing > 0 && (!failWhen || failWhen(record))) {
      failing--;
      return json(500, errorBody('api_error', 'An unknown error occurred'));
    }
    if (opts.latencyMs) await new Promise((resolve) => setTimeout(resolve, opts.latencyMs));
    const a = account ? accounts.get(account) : undefined;
    if (!a || a.revoked) {
      return json(
        401,
        errorBody('invalid_request_error', `The provided key 'sk_test_****' does not have access to account '${account}' (or that account does not exist). Application access may have been revoked.`),
      );
    }
    try {
      const q = query;
      const parts = url.pathname.split('/').filter(Boolean);
      const notFound = (what: string) => json(404, errorBody('invalid_request_error', `No such ${what}: '${parts[2]}'`, { code: 'resource_missing', param: 'id' }));
      if (req.method !== 'GET') return json(404, errorBody('invalid_request_error', `Unrecognized request URL (${req.method}: ${url.pathname}).`));
      switch (parts[1]) {
        case 'accounts':
          return parts[2] === a.account.id ? json(200, a.account) : notFound('account');
        case 'balance_transactions':
          return json(200, list(a, '/v1/balance_transactions', a.balance_transactions, q));
        case 'charges': {
          if (!parts[2]) return json(200, list(a, '/v1/charges', [...a.charges.values()], q));
          const ch = a.charges.get(parts[2]);
          return ch ? json(200, expand(a, ch, expands(q), false)) : notFound('charge');
        }
        case 'refunds': {
          const charge = q.get('charge');
          return json(
            200,
            list(
              a,
              '/v1/refunds',
              [...a.refunds.values()].filter((r) => !charge || r.charge === charge),
              q,
            ),
          );
        }
        case 'disputes': {
          if (parts[2]) return a.disputes.get(parts[2]) ? json(200, a.disputes.get(parts[2])) : notFound('dispute');
          const charge = q.get('charge');
          return json(
            200,
            list(
              a,
              '/v1/disputes',
              [...a.disputes.values()].filter((d) => !charge || d.charge === charge),
              q,
            ),
          );
        }
        case 'payouts': {
          if (!parts[2]) return json(200, list(a, '/v1/payouts', [...a.payouts.values()], q));
          const po = a.payouts.get(parts[2]);
          return po ? json(200, expand(a, po, expands(q), false)) : notFound('payout');
        }
        case 'subscriptions': {
          if (parts[2]) return a.subscriptions.get(parts[2]) ? json(200, a.subscriptions.get(parts[2])) : notFound('subscription');
          return json(200, list(a, '/v1/subscriptions', [...a.subscriptions.values()], q));
        }
        case 'events': {
          const success = q.get('delivery_success');
          const events = success === null ? a.events : a.events.filter((e) => (success === 'true') === !e.failed_delivery);
          return json(200, list(a, '/v1/events', events, q));
        }
        default:
          return json(404, errorBody('invalid_request_error', `Unrecognized request URL (GET: ${url.pathname}).`));
      }
    } catch (err) {
      const e = err as Error & { status?: number; param?: string };
      return json(e.status ?? 500, errorBody('invalid_request_error', e.message, e.param ? { param: e.param } : {}));
    }
  });

  await new Promise<void>((resolve) => server.listen(opts.port ?? 0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    secretKey,
    clientId,
    webhookSecret,
    accounts,
    requests,
    issued,
    addAccount,
    charge,
    refund,
    dispute,
    closeDispute,
    payout,
    subscription,
    event,
    /** An authorisation code for `account`, as the OAuth page's redirect would carry it. */
    codeFor(account: FakeAccount): string {
      const code = id('ac');
      codes.set(code, account.account.id);
      return code;
    },
    /** Stripe's clock, in seconds, for objects made without a `created`. */
    setNow(seconds: number) {
      clock = seconds;
    },
    rateLimitNext(n: number) {
      rateLimited = n;
    },
    failNext(n: number, when: ((r: ReceivedRequest) => boolean) | null = null) {
      failing = n;
      failWhen = when;
    },
    /** The environment that points Bursar at this fake. */
    env: (): Record<string, string> => ({
      STRIPE_SECRET_KEY: secretKey,
      STRIPE_CONNECT_CLIENT_ID: clientId,
      STRIPE_WEBHOOK_SECRET: webhookSecret,
      STRIPE_API_BASE: url,
      STRIPE_CONNECT_BASE: url,
    }),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export type FakeStripe = Awaited<ReturnType<typeof startFakeStripe>>;

const DAY = 86_400;

/** A deterministic pseudo-random sequence (mulberry32), so every start makes the same history. */
function seeded(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const NAMES = ['Ada Byron', 'Grace Hopper', 'Alan Kay', 'Barbara Liskov', 'Edsger Dijkstra', 'Frances Allen', 'Donald Knuth', 'Margaret Hamilton', 'Ken Thompson', 'Radia Perlman'];

/**
 * A small shop's history for demos and browser tests, the same on every call: `days` of
 * card payments (busier at weekends), about 3 % refunded, a few disputes (some won) and
 * weekly payouts, ending the day before `now` (seconds).
 */
export function shopHistory(fake: FakeStripe, opts: { now: number; days: number; id?: string; name?: string; currency?: string }): FakeAccount {
  const { now } = opts;
  const random = seeded(1507);
  const account = fake.addAccount({ id: opts.id, name: opts.name, created: now - (opts.days + 5) * DAY, currency: opts.currency });
  const currency = opts.currency ?? 'usd';
  let balance = 0;
  for (let d = opts.days; d >= 1; d--) {
    const dayStart = now - d * DAY;
    // Busier at weekends and towards the end of the year.
    const weekday = new Date(dayStart * 1000).getUTCDay();
    const perDay = 3 + Math.floor(random() * 4) + (weekday === 0 || weekday === 6 ? 2 : 0);
    for (let i = 0; i < perDay; i++) {
      const amount = 1200 + Math.floor(random() * 9000);
      const charge = fake.charge(account, {
        amount,
        created: dayStart + Math.floor(random() * DAY),
        name: NAMES[Math.floor(random() * NAMES.length)],
        description: 'Coffee subscription box',
        currency,
      });
      balance += amount - (Math.round(amount * 0.029) + 30);
      const roll = random();
      if (roll < 0.03) {
        fake.refund(account, charge.id, { amount: roll < 0.015 ? amount : Math.round(amount / 2), created: charge.created + 2 * DAY });
        balance -= amount;
      } else if (roll < 0.034) {
        const dispute = fake.dispute(account, charge.id, { created: charge.created + 10 * DAY });
        if (roll < 0.032) fake.closeDispute(account, dispute.id, 'won', dispute.created + 20 * DAY);
      }
    }
    if (weekday === 1 && balance > 0) {
      fake.payout(account, { amount: balance, created: dayStart + 3600 });
      balance = 0;
    }
  }
  return account;
}
