import { z } from 'zod';
import type { Db } from '../core/db.ts';
import type { Clock } from '../core/clock.ts';
import { NotFound } from '../core/errors.ts';
import type { Link } from './tools.ts';
import type { Suggestion, ToolCallRecord } from './reply.ts';
import { isUuid, uuid } from '../core/ids.ts';

/** Conversations belong to one user in one business: every query filters by both. */

export type Conversation = { id: string; business_id: string; user_id: string; title: string; created_at: Date; updated_at: Date };
export type MessageStatus = 'pending' | 'streaming' | 'complete' | 'failed';
export type Message = {
  id: string;
  conversation_id: string;
  business_id: string;
  role: 'user' | 'assistant' | 'tool';
  content: string;
  tool_calls: ToolCallRecord[] | null;
  links: Link[] | null;
  suggestions: Suggestion[] | null;
  analyst: 'offline' | 'model' | null;
  status: MessageStatus;
  error: string | null;
  created_at: Date;
  seq: number;
};

export const messageInput = z.object({
  message: z.string({ error: 'Write a question' }).trim().min(1, 'Write a question').max(4000, 'Keep it under 4,000 characters'),
  conversation_id: uuid('Not a conversation id')
    .optional()
    .or(z.literal('').transform(() => undefined)),
});
export const renameInput = z.object({ title: z.string({ error: 'Enter a title' }).trim().min(1, 'Enter a title').max(120, 'Keep it under 120 characters') });

function titleFrom(message: string): string {
  const line = message.replace(/\s+/g, ' ').trim();
  return line.length > 60 ? `${line.slice(0, 57)}…` : line;
}

export async function list(db: Db, businessId: string, userId: string, limit = 50): Promise<Conversation[]> {
  return db('conversations').where({ business_id: businessId, user_id: userId }).orderBy('updated_at', 'desc').limit(limit);
}

/** The conversation of this user in this business; NotFound for any other id. */
export async function get(db: Db, businessId: string, userId: string, id: string): Promise<Conversation> {
  const row = isUuid(id) ? await db('conversations').where({ id, business_id: businessId, user_id: userId }).first() : null;
  if (!row) throw new NotFound('No such conversation.');
  return row;
}

export async function messages(db: Db, businessId: string, conversationId: string): Promise<Message[]> {
  return db('messages').where({ conversation_id: conversationId, business_id: businessId }).whereNot({ role: 'tool' }).orderBy('seq');
}

export async function withMessages(db: Db, businessId: string, userId: string, id: string) {
  const conversation = await get(db, businessId, userId, id);
  return { conversation, messages: await messages(db, businessId, id) };
}

/**
 * Starts a turn: the user's message is stored first, in one transaction with a
 * pending assistant reply, before any model is asked anything; so a model that
 * fails or hangs can never lose what the user wrote. A new conversation is named
 * after its first message.
 */
export async function startTurn(db: Db, clock: Clock, businessId: string, userId: string, input: { message: string; conversation_id?: string }) {
  return db.transaction(async (trx) => {
    const now = clock.now();
    let conversation: Conversation;
    if (input.conversation_id) {
      conversation = await get(trx, businessId, userId, input.conversation_id);
      await trx('conversations').where({ id: conversation.id }).update({ updated_at: now });
    } else {
      [conversation] = await trx('conversations')
        .insert({ business_id: businessId, user_id: userId, title: titleFrom(input.message), created_at: now, updated_at: now })
        .returning('*');
    }
    const [question] = await trx('messages')
      .insert({ conversation_id: conversation.id, business_id: businessId, role: 'user', content: input.message, status: 'complete', created_at: now })
      .returning('*');
    const [reply] = await trx('messages').insert({ conversation_id: conversation.id, business_id: businessId, role: 'assistant', content: '', status: 'pending', created_at: now }).returning('*');
    return { conversation, question: question as Message, reply: reply as Message };
  });
}

/** An assistant message of this user's conversation in this business; NotFound otherwise. */
export async function assistantMessage(db: Db, businessId: string, userId: string, messageId: string): Promise<Message> {
  const row = isUuid(messageId)
    ? await db('messages as m')
        .join('conversations as c', 'c.id', 'm.conversation_id')
        .where({ 'm.id': messageId, 'm.business_id': businessId, 'm.role': 'assistant', 'c.user_id': userId, 'c.business_id': businessId })
        .first('m.*')
    : null;
  if (!row) throw new NotFound('No such message.');
  return row;
}

/** Takes a pending reply for generation; null when another request already has it. */
export async function claim(db: Db, businessId: string, messageId: string): Promise<Message | null> {
  const [row] = await db('messages').where({ id: messageId, business_id: businessId, status: 'pending' }).update({ status: 'streaming' }).returning('*');
  return row ?? null;
}

export async function complete(
  db: Db,
  businessId: string,
  messageId: string,
  reply: { text: string; toolCalls: ToolCallRecord[]; links: Link[]; suggestions: Suggestion[]; analyst: 'offline' | 'model' },
): Promise<Message> {
  const [row] = await db('messages')
    .where({ id: messageId, business_id: businessId })
    .update({
      content: reply.text,
      tool_calls: JSON.stringify(reply.toolCalls),
      links: JSON.stringify(reply.links),
      suggestions: JSON.stringify(reply.suggestions),
      analyst: reply.analyst,
      status: 'complete',
      error: null,
    })
    .returning('*');
  return row;
}

/** Stores what the user will read about a failure; the partial text (if any) is kept for reference. */
export async function fail(db: Db, businessId: string, messageId: string, error: string, partial: string, toolCalls: ToolCallRecord[]): Promise<Message> {
  const [row] = await db('messages')
    .where({ id: messageId, business_id: businessId })
    .update({ status: 'failed', error, content: partial, tool_calls: JSON.stringify(toolCalls) })
    .returning('*');
  return row;
}

/** Sets a failed reply back to pending, so it is generated again from the same question. */
export async function retry(db: Db, businessId: string, userId: string, messageId: string): Promise<Message> {
  const message = await assistantMessage(db, businessId, userId, messageId);
  if (message.status !== 'failed') return message;
  const [row] = await db('messages').where({ id: message.id, business_id: businessId, status: 'failed' }).update({ status: 'pending', error: null, content: '', tool_calls: null }).returning('*');
  return row ?? message;
}

export async function rename(db: Db, clock: Clock, businessId: string, userId: string, id: string, title: string): Promise<Conversation> {
  const conversation = await get(db, businessId, userId, id);
  const [row] = await db('conversations').where({ id: conversation.id, business_id: businessId, user_id: userId }).update({ title, updated_at: clock.now() }).returning('*');
  return row;
}

export async function remove(db: Db, businessId: string, userId: string, id: string): Promise<void> {
  const conversation = await get(db, businessId, userId, id);
  await db('conversations').where({ id: conversation.id, business_id: businessId, user_id: userId }).delete();
}

/** The question a reply answers and the complete turns before it, oldest first, for the model. */
export async function historyFor(db: Db, businessId: string, reply: Message): Promise<{ role: 'user' | 'assistant'; content: string }[]> {
  const rows: Message[] = await db('messages')
    .where({ conversation_id: reply.conversation_id, business_id: businessId })
    .whereIn('role', ['user', 'assistant'])
    .where('seq', '<', reply.seq)
    .orderBy('seq');
  return rows.filter((m) => m.role === 'user' || m.status === 'complete').map((m) => ({ role: m.role as 'user' | 'assistant', content: m.content }));
}

/**
 * A conversation of the business by id, for the user who started it (a conversation is
 * its author's own, even from the other members); NotFound otherwise.
 */
export async function getForUser(db: Db, businessId: string, userId: string, id: string): Promise<{ conversation: Conversation; messages: Message[] }> {
  const row: Conversation | undefined = isUuid(id) ? await db('conversations').where({ id, business_id: businessId, user_id: userId }).first() : undefined;
  if (!row) throw new NotFound('No such conversation.');
  return { conversation: row, messages: await messages(db, row.business_id, row.id) };
}
