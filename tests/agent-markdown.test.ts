import { test } from 'node:test';
import assert from 'node:assert/strict';
import { answerHtml } from '../services/agent/markdown.ts';
import { plainText } from '../services/agent/knowledge.ts';

test('answers become HTML with lists, bold, citations and same-site links', () => {
  const html = answerHtml('You spent **$1.00**.\n- Rent [P&L](/b/1/pnl?from=a&to=b)\n- Slack\n\nSee it. [Source: cash-flow-basics]');
  assert.equal(
    html,
    '<p>You spent <strong>$1.00</strong>.</p><ul><li>Rent <a href="/b/1/pnl?from=a&amp;to=b">P&amp;L</a></li><li>Slack</li></ul><p>See it. <span class="cite">Source: cash-flow-basics</span></p>',
  );
});

test('markup and script URLs from a model or a document stay text', () => {
  const html = answerHtml('<img src=x onerror=alert(1)> [click](javascript:alert(1)) [x](//evil.example/)');
  assert.doesNotMatch(html, /<img|<a /);
  assert.match(html, /&lt;img/);
});

test('a heading, a "* " list and code a model writes render as HTML, never as raw markdown', () => {
  const html = answerHtml('## Last month\n* Rent `$1.00`\n* Slack');
  assert.equal(html, '<p><strong>Last month</strong></p><ul><li>Rent <code>$1.00</code></li><li>Slack</li></ul>');
});

test('a guide’s markdown becomes the words a person reads', () => {
  assert.equal(
    plainText('## The forecast **P50** is the _middle_ one. | Component | Points | |---|---| - see [the page](/b/1/forecast) `now`'),
    'The forecast P50 is the middle one. · Component · Points · see the page now',
  );
});
