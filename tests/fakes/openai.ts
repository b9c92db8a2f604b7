import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A local OpenAI-compatible server speaking the chat-completions wire format:
 * POST /v1/chat/completions with stream:true answers text/event-stream chunks
 * (`chat.completion.chunk`, deltas, finish_reason, then `data: [DONE]`). Each request
 * takes the next scripted round; it records every request body it received.
 * POST /v1/embeddings answers in the embeddings wire format with `fakeEmbedding`s.
 */
export type Round =
  | { toolCalls: { name: string; arguments: string }[] }
  | { text: string }
  | { fail: { status: number; message: string; type?: string; code?: string | null } }
  | { hang: true }
  | { garbage: true };

export type FakeOpenAi = {
  baseUrl: string;
  requests: Record<string, any>[]; // eslint-disable-line @typescript-eslint/no-explicit-any -- request bodies as sent
  /** Bodies of POST /v1/embeddings, in order. */
  embeddingRequests: { model: string; input: string | string[]; encoding_format?: string }[];
  script(rounds: Round[]): void;
  close(): Promise<void>;
};

export const FAKE_EMBEDDING_DIMENSIONS = 64;

/**
 * Words that mean the same thing to the fake, so texts about one idea in different
 * words land near each other, as they would with a real embedding model: what the
 * tests of semantic search need, with no model. Other words stand for themselves.
 */
const CONCEPTS: Record<string, string[]> = {
  dispute: ['dispute', 'disputes', 'disputed', 'chargeback', 'chargebacks', 'contest', 'contests', 'contested', 'contesting', 'reversal', 'reversals'],
  purchase: ['purchase', 'purchases', 'order', 'orders', 'sale', 'sales', 'transaction', 'transactions', 'payment', 'payments'],
  buyer: ['buyer', 'buyers', 'customer', 'customers', 'cardholder', 'cardholders', 'shopper', 'shoppers'],
  bank: ['bank', 'banks', 'issuer', 'issuers', 'issuing'],
  money: ['money', 'cash', 'funds', 'balance'],
  timing: ['timing', 'schedule', 'delay', 'delays', 'late', 'when', 'arrive', 'arrives'],
  payout: ['payout', 'payouts', 'settlement', 'settlements', 'deposit', 'deposits'],
};
const CONCEPT_OF = new Map(Object.entries(CONCEPTS).flatMap(([concept, words]) => words.map((w) => [w, concept] as const)));
const STOP = new Set(['the', 'a', 'an', 'and', 'or', 'of', 'to', 'in', 'on', 'for', 'with', 'their', 'my', 'our', 'is', 'are', 'do', 'does', 'how', 'what', 'why', 'it', 'they', 'by', 'at', 'from']);

/** A deterministic unit vector: a hashed bag of the text's concepts. */
export function fakeEmbedding(text: string, dimensions = FAKE_EMBEDDING_DIMENSIONS): number[] {
  const v = new Array<number>(dimensions).fill(0);
  for (const word of text.toLowerCase().match(/[a-z]+/g) ?? []) {
    if (STOP.has(word)) continue;
    const key = CONCEPT_OF.get(word) ?? word;
    let h = 2166136261;
    for (let i = 0; i < key.length; i++) h = Math.imul(h ^ key.charCodeAt(i), 16777619);
    v[(h >>> 0) % dimensions] += 1;
  }
  const norm = Math.hypot(...v) || 1;
  return v.map((x) => x / norm);
}

/** Splits a string into n roughly equal pieces, as a real stream sends arguments and text. */
function pieces(s: string, n = 3): string[] {
  const size = Math.max(1, Math.ceil(s.length / n));
  const out: string[] = [];
  for (let i = 0; i < s.length; i += size) out.push(s.slice(i, i + size));
  return out;
}

export async function startFakeOpenAi(): Promise<FakeOpenAi> {
  let rounds: Round[] = [];
  const requests: Record<string, unknown>[] = [];
  const hanging = new Set<ServerResponse>();
  const embeddingRequests: FakeOpenAi['embeddingRequests'] = [];
  let counter = 0;

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    let raw = '';
    for await (const chunk of req) raw += chunk;
    if (req.method === 'POST' && req.url === '/v1/embeddings') {
      const body = JSON.parse(raw);
      embeddingRequests.push(body);
      const inputs: string[] = Array.isArray(body.input) ? body.input : [body.input];
      // The SDK asks for base64 (little-endian float32) unless told otherwise; both are the real wire format.
      const encode = (v: number[]) => (body.encoding_format === 'base64' ? Buffer.from(new Float32Array(v).buffer).toString('base64') : v);
      const tokens = inputs.reduce((n, t) => n + (t.match(/\S+/g)?.length ?? 0), 0);
      res.writeHead(200, { 'content-type': 'application/json' }).end(
        JSON.stringify({
          object: 'list',
          data: inputs.map((t, index) => ({ object: 'embedding', index, embedding: encode(fakeEmbedding(t)) })),
          model: body.model,
          usage: { prompt_tokens: tokens, total_tokens: tokens },
        }),
      );
      return;
    }
    if (req.method !== 'POST' || req.url !== '/v1/chat/completions') {
      res.writeHead(404, { 'content-type': 'application/json' }).end(JSON.stringify({ error: { message: 'Not found', type: 'invalid_request_error', code: null } }));
      return;
    }
    const body = JSON.parse(raw);
    requests.push({ ...body, authorization: req.headers.authorization });
    const round = rounds.shift() ?? { text: 'No more scripted rounds.' };
    const id = `chatcmpl-fake${++counter}`;
    const created = Math.floor(Date.now() / 1000);
    const chunk = (delta: Record<string, unknown>, finish: string | null = null) =>
      `data: ${JSON.stringify({ id, object: 'chat.completion.chunk', created, model: body.model, choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }] })}\n\n`;

    if ('hang' in round) {
      hanging.add(res);
      res.on('close', () => hanging.delete(res));
      return;
    }
    if ('fail' in round) {
      const { status, message, type = 'server_error', code = null } = round.fail;
      res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify({ error: { message, type, param: null, code } }));
      return;
    }
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive' });
    if ('garbage' in round) {
      res.end('data: {"id": "chatcmpl-x", "choices": [ this is not json\n\n');
      return;
    }
    res.write(chunk({ role: 'assistant', content: '' }));
    if ('toolCalls' in round) {
      round.toolCalls.forEach((call, index) => {
        const callId = `call_${counter}_${index}`;
        res.write(chunk({ tool_calls: [{ index, id: callId, type: 'function', function: { name: call.name, arguments: '' } }] }));
        for (const part of pieces(call.arguments)) res.write(chunk({ tool_calls: [{ index, function: { arguments: part } }] }));
      });
      res.write(chunk({}, 'tool_calls'));
    } else {
      for (const part of round.text.match(/\S+\s*/g) ?? []) res.write(chunk({ content: part }));
      res.write(chunk({}, 'stop'));
    }
    res.end('data: [DONE]\n\n');
  };

  const server: Server = createServer((req, res) => {
    handle(req, res).catch((err) => res.writeHead(500).end(String(err)));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    baseUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`,
    requests,
    embeddingRequests,
    script(next) {
      rounds = [...next];
      requests.length = 0;
    },
    async close() {
      for (const res of hanging) res.destroy();
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}
