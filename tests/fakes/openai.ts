import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A local OpenAI-compatible server speaking the chat-completions wire format:
 * POST /v1/chat/completions with stream:true answers text/event-stream chunks
 * (`chat.completion.chunk`, deltas, finish_reason, then `data: [DONE]`). Each request
 * takes the next scripted round; it records every request body it received.
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
  script(rounds: Round[]): void;
  close(): Promise<void>;
};

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
  let counter = 0;

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    let raw = '';
    for await (const chunk of req) raw += chunk;
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
