/**
 * The small markdown subset answers use (paragraphs, "- " and "1. " lists, **bold**,
 * _emphasis_, `code`, [links](/b/...), [Source: doc_id]) as HTML; a heading a model
 * writes reads as a bold line and "* " as a list item, so no markdown shows raw. Everything is escaped
 * first, and only same-site paths and http(s) URLs become links, so neither a
 * model nor a knowledge document can inject markup or a javascript: URL.
 */
export function answerHtml(text: string): string {
  const blocks = escapeHtml(text.replace(/\r\n/g, '\n')).split(/\n{2,}/);
  return blocks
    .map((block) => {
      const lines = block.split('\n').map((l) => l.replace(/^\s*#{1,6}\s+(.*)$/, '**$1**').replace(/^\s*\* /, '- '));
      const isList = (re: RegExp) => lines.every((l) => re.test(l));
      if (isList(/^- /)) return `<ul>${lines.map((l) => `<li>${inline(l.slice(2))}</li>`).join('')}</ul>`;
      if (isList(/^\d+\. /)) return `<ol>${lines.map((l) => `<li>${inline(l.replace(/^\d+\. /, ''))}</li>`).join('')}</ol>`;
      // A paragraph followed by a list (no blank line between them).
      const firstItem = lines.findIndex((l) => /^(- |\d+\. )/.test(l));
      if (firstItem > 0 && lines.slice(firstItem).every((l) => /^(- |\d+\. )/.test(l))) {
        const ordered = /^\d/.test(lines[firstItem]);
        const items = lines
          .slice(firstItem)
          .map((l) => `<li>${inline(l.replace(/^(- |\d+\. )/, ''))}</li>`)
          .join('');
        return `<p>${lines.slice(0, firstItem).map(inline).join('<br>')}</p>${ordered ? `<ol>${items}</ol>` : `<ul>${items}</ul>`}`;
      }
      return `<p>${lines.map(inline).join('<br>')}</p>`;
    })
    .join('');
}

function inline(s: string): string {
  return s
    .replace(/\[Source:\s*([a-z0-9-]+)\]/gi, '<span class="cite">Source: $1</span>')
    .replace(/\[([^\]]+)\]\(((?:\/(?!\/)|https?:\/\/)[^\s)]*)\)/g, '<a href="$2">$1</a>')
    .replace(/\*\*([^*]+)\*\*/g, '<strong>$1</strong>')
    .replace(/`([^`]+)`/g, '<code>$1</code>')
    .replace(/(^|\s)_([^_]+)_(?=$|[\s.,;:!?])/g, '$1<em>$2</em>');
}

export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}
