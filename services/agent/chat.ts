import type { Db } from '../core/db.ts';
import type { Clock } from '../core/clock.ts';
import type { Config } from '../core/config.ts';
import type { Logger } from '../core/logger.ts';
import * as conversations from './conversations.ts';
import type { Message } from './conversations.ts';
import { answerOffline } from './offline.ts';
import { toolContext } from './tools.ts';
import { embedderFor } from './embeddings.ts';
import { answerWithModel, ModelFailure } from './model.ts';
import type { AgentReply } from './reply.ts';

export type AgentDeps = { db: Db; clock: Clock; config: Config; logger: Logger };

/** Offline text goes out in word-sized pieces, so both analysts stream the same way. */
function streamWords(text: string, onToken: (t: string) => void): void {
  for (const piece of text.match(/\S+\s*|\s+/g) ?? []) onToken(piece);
}

/**
 * Generates a pending reply: the model when one is configured, else the offline
 * analyst. The reply is stored complete, or failed with a message the user reads
 * and can retry from. A reply another request is already generating (or has
 * finished) is returned as stored, never generated twice.
 */
export async function generate(deps: AgentDeps, businessId: string, messageId: string, onToken: (t: string) => void = () => {}): Promise<Message> {
  const { db, clock, config, logger } = deps;
  const claimed = await conversations.claim(db, businessId, messageId);
  if (!claimed) return db('messages').where({ id: messageId, business_id: businessId }).first();
  const history = await conversations.historyFor(db, businessId, claimed);
  const question = [...history].reverse().find((m) => m.role === 'user')?.content ?? '';
  const ctx = toolContext(clock, embedderFor(config));
  try {
    let reply: AgentReply;
    if (config.ai) {
      const business = await db('businesses').where({ id: businessId }).first('id', 'name', 'currency');
      reply = await answerWithModel(db, config.ai, business, history, ctx, onToken);
    } else {
      reply = await answerOffline(db, businessId, question, ctx);
      streamWords(reply.text, onToken);
    }
    return await conversations.complete(db, businessId, messageId, reply);
  } catch (err) {
    if (err instanceof ModelFailure) {
      logger.warn({ kind: err.kind, reason: err.message, messageId, businessId }, 'agent reply failed');
      return conversations.fail(db, businessId, messageId, err.message, err.partial, err.toolCalls);
    }
    logger.error({ err, messageId, businessId }, 'agent reply failed');
    return conversations.fail(db, businessId, messageId, 'Something went wrong on our side while answering.', '', []);
  }
}

/** A whole turn without streaming (the JSON API, and the chat form without JavaScript). */
export async function ask(deps: AgentDeps, businessId: string, userId: string, input: { message: string; conversation_id?: string }) {
  const turn = await conversations.startTurn(deps.db, deps.clock, businessId, userId, input);
  const reply = await generate(deps, businessId, turn.reply.id);
  return { ...turn, reply };
}
