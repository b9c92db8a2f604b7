import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Page } from 'playwright-core';
import { SCREENSHOTS, startBrowserSession } from './support.ts';
import { startFakeOpenAi, type FakeOpenAi } from '../fakes/openai.ts';

async function signInToStore(page: Page, baseUrl: string) {
  await page.goto(`${baseUrl}/login`);
  await page.fill('#f-email', 'demo@bursar.local');
  await page.fill('#f-password', 'bursar-demo');
  await page.click('button[type=submit]:has-text("Sign in")');
  await page.waitForURL(/\/b\/[0-9a-f-]{36}$/);
  if ((await page.locator('h1').innerText()) !== 'Northwind Goods') {
    await page.selectOption('#business-switcher', { label: 'Northwind Goods' });
    await page.waitForFunction(() => document.querySelector('h1')?.textContent === 'Northwind Goods');
  }
}

/** Asks in the open drawer and waits until the streamed reply has been replaced by the stored one. */
async function ask(page: Page, question: string, answered: number) {
  await page.fill('[data-chat-drawer] textarea[name=message]', question);
  await page.keyboard.press('Enter');
  await page.locator('[data-chat-drawer] .msg-user', { hasText: question }).waitFor();
  await page.waitForFunction((n) => document.querySelectorAll('[data-chat-drawer] .msg-assistant:not(.msg-live)').length >= n, answered, { timeout: 15_000 });
  return page
    .locator('[data-chat-drawer] .msg-assistant')
    .nth(answered - 1)
    .innerText();
}

function watchProblems(page: Page): string[] {
  const problems: string[] = [];
  page.on('console', (msg) => {
    if (msg.type() === 'error') problems.push(`${msg.text().slice(0, 80)} @ ${page.url()}`);
  });
  page.on('pageerror', (err) => problems.push(err.message));
  return problems;
}

describe('the chat drawer with the offline analyst', () => {
  let session: Awaited<ReturnType<typeof startBrowserSession>>;
  before(async () => {
    session = await startBrowserSession();
  });
  after(() => session.close());

  test('three questions in the drawer on the demo store are answered from its figures', async () => {
    const page = await session.browser.newPage({ viewport: { width: 1280, height: 900 } });
    const problems = watchProblems(page);
    await signInToStore(page, session.baseUrl);
    await page.click('[data-chat-drawer] summary');
    await page.locator('[data-chat-drawer] textarea').waitFor();

    const runway = await ask(page, "What's my runway?", 1);
    assert.match(runway, /Cash on hand is \$[\d,]+\.\d\d/);
    assert.match(runway, /offline analyst/);
    const software = await ask(page, 'How much did we spend on software last quarter?', 2);
    assert.match(software, /You spent \$[\d,]+\.\d\d on Software in Q3 2026/);
    const month = await ask(page, 'How did we do last month?', 3);
    assert.match(month, /For October 2026/);
    assert.equal(await page.locator('[data-chat-drawer] .msg-user').count(), 3, 'one conversation, three questions');
    await page.screenshot({ caret: 'initial', path: `${SCREENSHOTS}/chat-drawer-offline.png` });

    await page.click('a:has-text("All conversations")');
    await page.waitForURL(/\/chat$/);
    await page.click('.chat-list a');
    await page.locator('.chat-main .msg-assistant').nth(2).waitFor();
    assert.match(await page.locator('.chat-main').innerText(), /For October 2026/);
    await page.screenshot({ caret: 'initial', path: `${SCREENSHOTS}/chat-page.png`, fullPage: true });
    assert.deepEqual(problems, [], 'no script errors or CSP violations');
  });
});

describe('a suggested change in the chat', () => {
  let session: Awaited<ReturnType<typeof startBrowserSession>>;
  before(async () => {
    session = await startBrowserSession();
  });
  after(() => session.close());

  test('the offline analyst’s rule suggestion is a button that previews the rows, and confirming creates the rule', async () => {
    const store = (await session.db('businesses').where({ name: 'Northwind Goods' }).first('id')).id;
    // A card statement imported without categories: two Klaviyo charges the demo's own history files under Software.
    await session.db('transactions').insert(
      ['2026-11-20', '2026-11-21'].map((day, i) => ({
        business_id: store,
        kind: 'expense',
        amount: -4_500,
        currency: 'USD',
        amount_base: -4_500,
        occurred_on: day,
        description: 'KLAVIYO INC CARD 4411',
        counterparty: 'Klaviyo',
        source: 'card-import',
        external_id: `card-${i}`,
        created_at: new Date(),
        updated_at: new Date(),
      })),
    );
    const page = await session.browser.newPage({ viewport: { width: 1280, height: 900 } });
    const problems = watchProblems(page);
    await signInToStore(page, session.baseUrl);
    await page.click('[data-chat-drawer] summary');
    const answer = await ask(page, 'Which expenses are uncategorised?', 1);
    assert.match(answer, /\*?2\*? uncategorised expenses|2 uncategorised expenses/);
    const button = page.locator('[data-chat-drawer] form.suggestion button', { hasText: "Create rule: vendor contains 'Klaviyo' → Software" });
    await button.waitFor();
    await page.locator('[data-chat-drawer] .msg-suggestions').scrollIntoViewIfNeeded();
    await page.screenshot({ caret: 'initial', path: `${SCREENSHOTS}/chat-suggestion-buttons.png` });

    await button.click();
    await page.waitForURL(/\/suggested-changes$/);
    assert.match(await page.locator('.page-head h1').innerText(), /Create a rule: vendor contains 'Klaviyo' → Software/);
    assert.equal(await page.locator('#rule-preview tbody tr').count(), 2, 'the preview lists the two rows it would change');
    assert.equal(
      await session
        .db('categorization_rules')
        .where({ business_id: store })
        .count({ n: '*' })
        .first()
        .then((r) => Number(r!.n)),
      0,
      'nothing written before confirming',
    );
    await page.screenshot({ caret: 'initial', path: `${SCREENSHOTS}/chat-suggestion-confirm.png`, fullPage: true });

    await page.click('button:has-text("Confirm: create the rule")');
    await page.waitForURL(/\/rules$/);
    assert.match(await page.locator('body').innerText(), /Rule created; 2 expenses recategorised\./);
    assert.deepEqual(problems, [], 'no script errors or CSP violations');
  });
});

describe('the chat drawer with a model', () => {
  let session: Awaited<ReturnType<typeof startBrowserSession>>;
  let fake: FakeOpenAi;
  before(async () => {
    fake = await startFakeOpenAi();
    session = await startBrowserSession({ config: { ai: { apiKey: 'sk-test', baseUrl: fake.baseUrl, model: 'fake-model', timeoutMs: 2000 } } });
  });
  after(async () => {
    await session.close();
    await fake.close();
  });

  test('replies stream from the model, tool results included, and a failure offers a retry that works', async () => {
    const page = await session.browser.newPage({ viewport: { width: 1280, height: 900 } });
    const problems = watchProblems(page);
    await signInToStore(page, session.baseUrl);
    await page.click('[data-chat-drawer] summary');
    fake.script([
      { toolCalls: [{ name: 'metric_summary', arguments: '{}' }] },
      { text: 'Revenue over the last 30 days is healthy; see the **overview**. [Source: cash-flow-basics]' },
      { text: 'Your score has not been computed yet.' },
      { fail: { status: 500, message: 'The server had an error while processing your request.' } },
    ]);
    const first = await ask(page, 'How are sales going?', 1);
    assert.match(first, /Revenue over the last 30 days is healthy/);
    assert.match(first, /Source: cash-flow-basics/);
    assert.match(first, /AI model/);
    const second = await ask(page, "What's hurting my score?", 2);
    assert.match(second, /not been computed/);
    const third = await ask(page, 'Explain chargebacks', 3);
    assert.match(third, /No answer this time\. The AI model answered with an error \(500/);
    await page.screenshot({ caret: 'initial', path: `${SCREENSHOTS}/chat-drawer-model-failed.png` });
    fake.script([{ text: 'Chargebacks are disputes a cardholder raises with their bank.' }]);
    await page.click('[data-chat-drawer] .msg-failed button:has-text("Retry")');
    await page.locator('[data-chat-drawer] .msg-assistant', { hasText: 'Chargebacks are disputes' }).waitFor();
    await page.screenshot({ caret: 'initial', path: `${SCREENSHOTS}/chat-drawer-model.png` });
    assert.deepEqual(problems, []);
  });
});
