import { Router } from 'express';
import * as conversations from '../../../services/agent/conversations.ts';
import * as chat from '../../../services/agent/chat.ts';
import type { AppDeps } from '../../support/deps.ts';
import { parseOrThrow } from '../../support/validate.ts';

/** The agent over JSON: one whole turn per request (no streaming), and a conversation's messages. */
export function agentApiRoutes(deps: AppDeps): Router {
  const router = Router();

  router.post('/agent/chat', async (req, res) => {
    const { business } = res.locals;
    const input = parseOrThrow(conversations.messageInput, req.body);
    const { conversation, reply } = await chat.ask(deps, business.id, res.locals.user.id, input);
    const ids = { conversation_id: conversation.id, message_id: reply.id };
    // The question is stored either way; a failed reply can be read back and retried from the chat page.
    if (reply.status === 'failed') return res.status(502).json({ error: { code: 'agent_failed', message: reply.error }, ...ids });
    res.json({
      ...ids,
      response: reply.content,
      tool_calls: (reply.tool_calls ?? []).map(({ name, arguments: args }) => ({ name, arguments: args })),
      analyst: reply.analyst,
      links: reply.links ?? [],
    });
  });

  router.get('/agent/conversations/:id', async (req, res) => {
    const { conversation, messages } = await conversations.getForUser(deps.db, res.locals.business.id, res.locals.user.id, req.params.id);
    res.json({
      id: conversation.id,
      business_id: conversation.business_id,
      title: conversation.title,
      messages: messages.map((m) => ({ id: m.id, role: m.role, content: m.content, status: m.status, ...(m.error ? { error: m.error } : {}), created_at: m.created_at })),
    });
  });

  return router;
}
