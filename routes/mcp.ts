import { Router, type Request, type Response } from 'express';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { mcpServerFor } from '../services/agent/mcp.ts';
import { Unauthorized } from '../services/core/errors.ts';
import type { AppDeps } from './support/deps.ts';

/**
 * Who is calling /mcp. TODO(merge with the accounts issue): switch to personal API
 * tokens: read `Authorization: Bearer <token>`, look the hashed token up with the
 * accounts issue's token service, and return its user (and its business scope, if
 * tokens are scoped), with 401 for a missing, wrong, expired or revoked token. Until
 * then a signed-in session is accepted, and since a session cookie rides along on
 * cross-site requests, only with the session's CSRF token in X-CSRF-Token (checked
 * by verifyCsrf before this router runs).
 */
export function authenticateMcp(_req: Request, res: Response): { id: string } {
  const user = res.locals.user as { id: string } | undefined;
  if (!user) throw new Unauthorized('Sign in, or send a personal API token, to use the MCP endpoint.');
  return user;
}

/** The agent's tools over MCP (Streamable HTTP, stateless: one server and transport per request). */
export function mcpRoutes({ db, clock, config }: AppDeps): Router {
  const router = Router();

  router.post('/mcp', async (req, res) => {
    const user = authenticateMcp(req, res);
    const server = mcpServerFor(db, clock, user, config.version);
    const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined });
    res.on('close', () => {
      void transport.close();
      void server.close();
    });
    await server.connect(transport);
    await transport.handleRequest(req, res, req.body);
  });

  // Stateless: there is no session to resume (GET) or end (DELETE).
  router.all('/mcp', (_req, res) => {
    res.status(405).set('Allow', 'POST').json({ jsonrpc: '2.0', error: { code: -32000, message: 'Method not allowed.' }, id: null });
  });

  return router;
}
