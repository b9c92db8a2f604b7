import OpenAI from 'openai';
import type { ChatCompletionMessageParam } from 'openai/resources/chat/completions';
import type { Db } from '../core/db.ts';
import type { AiConfig } from '../core/config.ts';
import { openAiTools, runTool, ToolInputError, type Link, type ToolContext, type ToolResult } from './tools.ts';
import { citationsIn, suggestionsFrom, uniqueLinks, type AgentReply, type ToolCallRecord } from './reply.ts';

/** Tool rounds before the model must answer with what it has: bounds cost and time. */
export const MAX_ROUNDS = 4;

/** A failure the user reads in the conversation, with what had streamed before it. */
export class ModelFailure extends Error {
  constructor(
    message: string,
    readonly kind: 'timeout' | 'error' | 'malformed' | 'unreadable' | 'unreachable' | 'empty',
    public partial = '',
    public toolCalls: ToolCallRecord[] = [],
  ) {
    super(message);
  }
}

export function systemPrompt(business: { name: string; currency: string }, today: string): string {
  return [
    `You are Bursar, the AI CFO of ${business.name}. Today is ${today}; amounts are in ${business.currency} unless a tool says otherwise.`,
    "Answer only from this business's own figures, which you get by calling the tools; never invent or estimate a figure a tool did not return. If the tools cannot answer, say so.",
    'When you use a figure, link the page it came from with the markdown link the tool returned, unchanged (it carries the range), e.g. [P&L 2026-10-01 to 2026-10-31](/b/…/pnl?preset=custom&from=2026-10-01&to=2026-10-31).',
    'When you use the knowledge base (knowledge_search), cite it as [Source: doc_id] right after the sentence. For a question about using Bursar itself (importing, expenses, rules, members, exports), search with section "how-to".',
    'You only read. For uncategorised expenses, call categorisation_suggestions: its proposals appear under your answer as buttons the user confirms after a preview. Mention them, never claim to have made a change.',
    'Be brief: a few sentences or a short list.',
  ].join('\n');
}

type Business = { id: string; name: string; currency: string };
type Pending = { id: string; name: string; args: string };

/** Keys an endpoint may echo back in an error message are not shown or stored. */
function withoutSecrets(text: string): string {
  return text.replace(/\b(sk|key|token)-[\w*.-]{4,}/gi, '[redacted]');
}

/**
 * Answers with an OpenAI-compatible model: streamed chat completions with the
 * agent's tools, at most MAX_ROUNDS rounds, the whole reply bounded by
 * ai.timeoutMs. Text is passed to `onToken` as it arrives. Throws ModelFailure
 * with a message for the user on a time-out, an error answer, an unreadable
 * stream or a tool call whose arguments are not JSON.
 */
export async function answerWithModel(
  db: Db,
  ai: AiConfig,
  business: Business,
  history: { role: 'user' | 'assistant'; content: string }[],
  ctx: ToolContext,
  onToken: (text: string) => void,
): Promise<AgentReply> {
  const client = new OpenAI({ apiKey: ai.apiKey, baseURL: ai.baseUrl ?? undefined, timeout: ai.timeoutMs, maxRetries: 0 });
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), ai.timeoutMs);
  const messages: ChatCompletionMessageParam[] = [{ role: 'system', content: systemPrompt(business, ctx.today) }, ...history];
  const toolCalls: ToolCallRecord[] = [];
  const links: Link[] = [];
  const results: { tool: string; result: ToolResult }[] = [];
  let text = '';
  try {
    for (let round = 1; round <= MAX_ROUNDS; round++) {
      const last = round === MAX_ROUNDS;
      const stream = await client.chat.completions.create({ model: ai.model, messages, stream: true, ...(last ? {} : { tools: openAiTools() }) }, { signal: controller.signal });
      const pending: Pending[] = [];
      let roundText = '';
      for await (const chunk of stream) {
        const delta = chunk.choices?.[0]?.delta;
        if (!delta) continue;
        if (delta.content) {
          roundText += delta.content;
          text += delta.content;
          onToken(delta.content);
        }
        for (const call of delta.tool_calls ?? []) {
          const slot = (pending[call.index] ??= { id: '', name: '', args: '' });
          if (call.id) slot.id = call.id;
          if (call.function?.name) slot.name += call.function.name;
          if (call.function?.arguments) slot.args += call.function.arguments;
        }
      }
      const calls = pending.filter(Boolean);
      if (!calls.length || last) break;
      messages.push({ role: 'assistant', content: roundText || null, tool_calls: calls.map((c) => ({ id: c.id, type: 'function', function: { name: c.name, arguments: c.args } })) });
      for (const call of calls) {
        let args: Record<string, unknown>;
        try {
          args = call.args.trim() ? JSON.parse(call.args) : {};
        } catch {
          throw new ModelFailure(`The AI model asked for the tool "${call.name}" with arguments that are not valid JSON, so Bursar stopped.`, 'malformed');
        }
        const started = performance.now();
        let content: string;
        try {
          const result = await runTool(db, business.id, call.name, args, ctx);
          links.push(...result.links);
          results.push({ tool: call.name, result });
          content = JSON.stringify(result);
          toolCalls.push({ name: call.name, arguments: args, ms: Math.round((performance.now() - started) * 10) / 10 });
        } catch (err) {
          if (!(err instanceof ToolInputError)) throw err;
          // Told what was wrong, the model can correct its call in the next round.
          content = JSON.stringify({ error: err.message });
          toolCalls.push({ name: call.name, arguments: args, ms: Math.round((performance.now() - started) * 10) / 10, error: err.message });
        }
        messages.push({ role: 'tool', tool_call_id: call.id, content });
      }
    }
  } catch (err) {
    throw asFailure(err, controller.signal.aborted, ai, text, toolCalls);
  } finally {
    clearTimeout(timer);
  }
  if (!text.trim()) throw new ModelFailure('The AI model returned an empty answer.', 'empty', '', toolCalls);
  return { text, toolCalls, links: uniqueLinks(links), citations: citationsIn(text), suggestions: suggestionsFrom(results), analyst: 'model' };
}

function asFailure(err: unknown, timedOut: boolean, ai: AiConfig, partial: string, toolCalls: ToolCallRecord[]): Error {
  if (err instanceof ModelFailure) {
    err.partial = partial;
    err.toolCalls = toolCalls;
    return err;
  }
  if (timedOut || err instanceof OpenAI.APIConnectionTimeoutError || err instanceof OpenAI.APIUserAbortError) {
    return new ModelFailure(`The AI model did not answer within ${Math.round(ai.timeoutMs / 100) / 10} seconds.`, 'timeout', partial, toolCalls);
  }
  if (err instanceof OpenAI.APIConnectionError) return new ModelFailure('Bursar could not reach the AI model at its configured address.', 'unreachable', partial, toolCalls);
  if (err instanceof OpenAI.APIError) {
    const detail = (err.error as { message?: string } | undefined)?.message;
    return new ModelFailure(`The AI model answered with an error (${err.status ?? 'no status'}${detail ? `: ${withoutSecrets(detail).slice(0, 200)}` : ''}).`, 'error', partial, toolCalls);
  }
  if (err instanceof SyntaxError || err instanceof OpenAI.OpenAIError) return new ModelFailure('The AI model sent a reply Bursar could not read.', 'unreadable', partial, toolCalls);
  return err instanceof Error ? err : new Error(String(err));
}
