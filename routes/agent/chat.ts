import { Router } from 'express';
import * as conversations from '../../services/agent/conversations.ts';
import * as chat from '../../services/agent/chat.ts';
import { escapeHtml } from '../../services/agent/markdown.ts';
import type { AppDeps } from '../support/deps.ts';
import { redirectAfterPost, render, wantsFragment } from '../support/render.ts';
import { parseForm } from '../support/validate.ts';
import { csrfToken } from '../support/csrf.ts';
import { openEventStream, renderToString, sendEvent } from '../support/sse.ts';

const page = 'pages/business/chat.njk';
const thread = { page, partial: 'partials/chat/thread.njk' };
const message = 'partials/chat/message.njk';

/**
 * The AI CFO: the chat page, a question posted from it or from the drawer, the
 * streamed reply, retries, renaming and deleting. Every member may ask (the agent
 * only reads); a conversation is only ever seen by the user who started it.
 */
export function chatRoutes(deps: AppDeps): Router {
  const { db, clock } = deps;
  const router = Router({ mergeParams: true });
  const ids = (res: { locals: Record<string, any> }) => ({ businessId: res.locals.business.id as string, userId: res.locals.user.id as string }); // eslint-disable-line @typescript-eslint/no-explicit-any

  router.get('/chat', async (req, res) => {
    const { businessId, userId } = ids(res);
    render(req, res, { page }, { conversations: await conversations.list(db, businessId, userId), conversation: null, messages: [], errors: {}, chatPage: true });
  });

  // Literal /chat/messages paths come before /chat/:conversationId, which would take "messages" as an id.

  // htmx gets the thread at once with the reply pending (it streams); a plain form waits for the whole reply.
  router.post('/chat/messages', async (req, res) => {
    const { businessId, userId } = ids(res);
    const input = parseForm(conversations.messageInput, req.body);
    if (!input.ok)
      return render(
        req,
        res,
        { ...thread, status: 422 },
        { conversations: await conversations.list(db, businessId, userId), conversation: null, messages: [], values: req.body, errors: input.errors, chatPage: true },
      );
    if (wantsFragment(req)) {
      const turn = await conversations.startTurn(db, clock, businessId, userId, input.data);
      return render(req, res, thread, { conversation: turn.conversation, messages: await conversations.messages(db, businessId, turn.conversation.id), errors: {} });
    }
    const turn = await chat.ask(deps, businessId, userId, input.data);
    redirectAfterPost(req, res, `/b/${businessId}/chat/${turn.conversation.id}#msg-${turn.reply.id}`);
  });

  // The reply, token by token ("token" events of escaped text), then the stored message as HTML ("done").
  router.get('/chat/messages/:messageId/stream', async (req, res) => {
    const { businessId, userId } = ids(res);
    const pending = await conversations.assistantMessage(db, businessId, userId, String(req.params.messageId));
    openEventStream(res);
    const stored = await chat.generate(deps, businessId, pending.id, (text) => sendEvent(res, 'token', escapeHtml(text)));
    sendEvent(res, 'done', await renderToString(req, message, { m: stored, business: res.locals.business, role: res.locals.role, csrfToken: csrfToken(req) }));
    res.end();
  });

  router.post('/chat/messages/:messageId/retries', async (req, res) => {
    const { businessId, userId } = ids(res);
    const m = await conversations.retry(db, businessId, userId, String(req.params.messageId));
    if (wantsFragment(req)) return render(req, res, { page: message, partial: message }, { m });
    await chat.generate(deps, businessId, m.id);
    redirectAfterPost(req, res, `/b/${businessId}/chat/${m.conversation_id}#msg-${m.id}`);
  });

  router.get('/chat/:conversationId', async (req, res) => {
    const { businessId, userId } = ids(res);
    const [{ conversation, messages }, list] = await Promise.all([conversations.withMessages(db, businessId, userId, String(req.params.conversationId)), conversations.list(db, businessId, userId)]);
    render(req, res, thread, { conversations: list, conversation, messages, errors: {}, chatPage: true });
  });

  router.post('/chat/:conversationId', async (req, res) => {
    const { businessId, userId } = ids(res);
    const input = parseForm(conversations.renameInput, req.body);
    if (!input.ok) {
      const { conversation, messages } = await conversations.withMessages(db, businessId, userId, String(req.params.conversationId));
      return render(
        req,
        res,
        { page, status: 422 },
        { conversations: await conversations.list(db, businessId, userId), conversation, messages, errors: {}, renameErrors: input.errors, renameValues: req.body, chatPage: true },
      );
    }
    const renamed = await conversations.rename(db, clock, businessId, userId, String(req.params.conversationId), input.data.title);
    redirectAfterPost(req, res, `/b/${businessId}/chat/${renamed.id}`);
  });

  router.post('/chat/:conversationId/deletion', async (req, res) => {
    const { businessId, userId } = ids(res);
    await conversations.remove(db, businessId, userId, String(req.params.conversationId));
    redirectAfterPost(req, res, `/b/${businessId}/chat`);
  });

  return router;
}
