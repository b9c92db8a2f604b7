import type { Link, ToolResult } from './tools.ts';

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

/**
 * Changes the tool results point at, as suggestions the user confirms where the change
 * is made: uncategorised expenses link to the expense list filtered to them. (When the
 * ledger issue's categorisation rules land, a rule proposal becomes a confirm button here.)
 */
export function suggestionsFrom(results: { tool: string; result: ToolResult }[]): Suggestion[] {
  const out: Suggestion[] = [];
  for (const { tool, result } of results) {
    if (tool !== 'expense_search') continue;
    const rows = (result.data.rows ?? []) as { category: string | null }[];
    const uncategorised = rows.filter((r) => !r.category).length;
    const href = result.links.find((l) => l.href.includes('/expenses'))?.href;
    if (uncategorised && href) out.push({ label: `Categorise ${uncategorised} uncategorised expense${uncategorised === 1 ? '' : 's'}`, href });
  }
  return out;
}
