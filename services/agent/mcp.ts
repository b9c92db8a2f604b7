import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { z } from 'zod';
import type { Db } from '../core/db.ts';
import type { Clock } from '../core/clock.ts';
import type { Logger } from '../core/logger.ts';
import * as businesses from '../access/businesses.ts';
import { resolveMembership, type Member } from '../access/tenancy.ts';
import { Forbidden } from '../core/errors.ts';
import { TOOLS, runTool, ToolInputError, toolContext } from './tools.ts';
import type { Embedder } from './embeddings.ts';

const businessId = z.string().describe('The business to ask about (an id from list_businesses)');

const text = (value: unknown, isError = false) => ({ content: [{ type: 'text' as const, text: typeof value === 'string' ? value : JSON.stringify(value) }], ...(isError ? { isError: true } : {}) });

/**
 * The agent's tools for an external agent acting as one user (with the memberships
 * loaded with their token): each takes a `business_id`, checked by the same
 * resolveMembership as the JSON API's, and a call for a business the user is not a
 * member of is refused (the same answer as for one that does not exist). One server
 * per request: the endpoint is stateless.
 */
export function mcpServerFor(db: Db, clock: Clock, logger: Logger, user: Member & { id: string }, version: string, embedder: Embedder | null = null): McpServer {
  const server = new McpServer({ name: 'bursar', version });

  server.registerTool('list_businesses', { description: 'The businesses you can ask about, with your role in each.', inputSchema: {} }, async () =>
    text({ businesses: (await businesses.listForUser(db, user.id)).map((b) => ({ id: b.id, name: b.name, currency: b.currency, role: b.role })) }),
  );

  for (const tool of TOOLS) {
    server.registerTool(tool.name, { description: tool.description, inputSchema: { business_id: businessId, ...tool.parameters.shape } }, async (args: Record<string, unknown>) => {
      const { business_id, ...rest } = args;
      let businessId: string;
      try {
        businessId = resolveMembership(user, { named: String(business_id) }).business.id;
      } catch (err) {
        if (err instanceof Forbidden) return text('Forbidden: you are not a member of that business, or it does not exist.', true);
        throw err;
      }
      try {
        return text(await runTool(db, businessId, tool.name, rest, toolContext(clock, embedder)));
      } catch (err) {
        if (err instanceof ToolInputError) return text(err.message, true);
        // Anything else is ours: logged with the tool's name, and never shown (a database error names SQL).
        logger.error({ err, tool: tool.name }, 'MCP tool failed');
        return text('The tool failed on our side; the error was logged. Try again, or ask in another way.', true);
      }
    });
  }
  return server;
}
