import { Router, type Request, type Response } from 'express';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { mcpServerFor } from '../../services/agent/mcp.ts';
import { embedderFor } from '../../services/agent/embeddings.ts';
import { Unauthorized } from '../../services/core/errors.ts';
import type { UserWithBusinesses } from '../../services/access/users.ts';
import type { AppDeps } from '../support/deps.ts';
import { authenticateBearer, bearerToken } from '../support/auth.ts';
import * as apiTokens from '../../services/access/api-tokens.ts';

/**
 * Who is calling /mcp: the owner of the personal API token in `Authorization: Bearer`
 * (checked by authenticateBearer, which answers 401 for an unknown, expired or revoked
 * one). A session cookie is not enough: MCP clients are scripts, and tokens can be
 * revoked one by one. Each tool call then checks membership of the business it names,
 * against the memberships loaded with the token.
 */
export function authenticateMcp(req: Request, res: Response): UserWithBusinesses {
  const user = res.locals.user as UserWithBusinesses | undefined;
  // authenticateBearer ran first: a well-formed personal token here is the one it signed the user in with.
  if (!user || !bearerToken(req)?.startsWith(apiTokens.PREFIX)) {
    throw new Unauthorized('Send a personal API token (Authorization: Bearer bsr_pat_…) to use the MCP endpoint.');
  }
  return user;
}

/** The agent's tools over MCP (Streamable HTTP, stateless: one server and transport per request). */
export function mcpRoutes(deps: AppDeps): Router {
  const { db, clock, config } = deps;
  const router = Router();
  router.use('/mcp', authenticateBearer(deps, { readOnlyTools: true }));

  router.post('/mcp', async (req, res) => {
    const user = authenticateMcp(req, res);
    const server = mcpServerFor(db, clock, deps.logger, user, config.version, embedderFor(config));
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
    res
      .status(405)
      .set('Allow', 'POST')
      .json({ jsonrpc: '2.0', error: { code: -32000, message: 'Method not allowed.' }, id: null });
  });

  return router;
}
