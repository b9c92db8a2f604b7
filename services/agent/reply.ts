import type { Link } from './tools.ts';

/** One tool call made while answering, as stored with the reply and shown in the API. */
export type ToolCallRecord = { name: string; arguments: Record<string, unknown>; ms: number; error?: string };

/**
 * A change the answer suggests. The agent never writes: the user follows the link
 * (or, once the ledger issue's rule service is here, confirms a button) to make it.
 */
export type Suggestion = { label: string; href: string };

export type AgentReply = {
  text: string;
  toolCalls: ToolCallRecord[];
  links: Link[];
  citations: string[];
  suggestions: Suggestion[];
  analyst: 'offline' | 'model';
};

/** Citations written in the text as [Source: doc_id], in order of first appearance. */
export function citationsIn(text: string): string[] {
  return [...new Set([...text.matchAll(/\[Source:\s*([a-z0-9-]+)\]/gi)].map((m) => m[1]))];
}

export function uniqueLinks(links: Link[]): Link[] {
  const seen = new Set<string>();
  return links.filter((l) => !seen.has(l.href) && seen.add(l.href));
}
