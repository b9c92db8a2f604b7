import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Page } from 'playwright-core';
import { SCREENSHOTS, startBrowserSession, navTo } from './support.ts';

let session: Awaited<ReturnType<typeof startBrowserSession>>;
before(async () => {
  // Petra, who signs up first, runs this instance: the outbox is hers to read.
  session = await startBrowserSession({ config: { operatorEmails: ['petra@example.com'] } });
});
after(() => session.close());

function watchProblems(page: Page): string[] {
  const problems: string[] = [];
  page.on('console', (msg) => {
    if (msg.type() === 'error') problems.push(msg.text());
  });
  page.on('pageerror', (err) => problems.push(err.message));
  return problems;
}

test('a new owner invites a second person, who accepts in another browser and sees the shared business', async () => {
  const owner = await (await session.browser.newContext()).newPage();
  const ownerProblems = watchProblems(owner);
  await owner.goto(`${session.baseUrl}/signup`);
  await owner.fill('#f-name', 'Petra Owner');
  await owner.fill('#f-email', 'petra@example.com');
  await owner.fill('#f-password', 'petra long password');
  await owner.click('button[type=submit]:has-text("Create account")');
  await owner.waitForURL(/\/businesses\/new$/);
  await owner.fill('#f-name', 'Petra Pottery');
  await owner.click('#main button[type=submit]');
  await owner.waitForURL(/\/b\/[0-9a-f-]{36}$/);
  assert.equal(await owner.locator('h1').innerText(), 'Petra Pottery');

  await navTo(owner, 'Members');
  await owner.waitForURL(/\/members$/);
  await owner.fill('#f-email', 'bea@example.com');
  await owner.selectOption('#f-role', 'member');
  await owner.click('button:has-text("Send invitation")');
  await owner.locator('text=Invitation sent to bea@example.com').waitFor();
  assert.match(await owner.locator('#invitations').innerText(), /bea@example\.com as member/);
  await owner.screenshot({ caret: 'initial', path: `${SCREENSHOTS}/members-invited.png`, fullPage: true });

  // Without a SendGrid key the invitation lands in the development outbox, which only an
  // operator may read; Petra passes the link on.
  const membersPage = owner.url();
  await owner.goto(`${session.baseUrl}/dev/outbox`);
  await owner.click('a:has-text("invited you to Petra Pottery")');
  const mail = await owner.locator('pre.mail-text').innerText();
  const link = /(http\S+\/invitation\?token=\S+)/.exec(mail)![1];
  const bea = await (await session.browser.newContext()).newPage();
  const beaProblems = watchProblems(bea);
  await bea.goto(link.replace(/^http:\/\/[^/]+/, session.baseUrl));
  assert.equal(await bea.locator('h1').innerText(), 'Join Petra Pottery');
  await bea.click('a:has-text("Create an account")');
  await bea.waitForURL(/\/signup\?/);
  assert.equal(await bea.inputValue('#f-email'), 'bea@example.com');
  await bea.fill('#f-name', 'Bea Member');
  await bea.fill('#f-password', 'bea long password');
  await bea.click('button[type=submit]:has-text("Create account")');
  await bea.waitForURL(/\/invitation\?token=/);
  await bea.click('button:has-text("Accept and open Petra Pottery")');
  await bea.waitForURL(/\/b\/[0-9a-f-]{36}$/);
  assert.equal(await bea.locator('h1').innerText(), 'Petra Pottery');
  await navTo(bea, 'Members');
  await bea.waitForURL(/\/members$/);
  const table = await bea.locator('#members').innerText();
  assert.match(table, /Petra Owner/);
  assert.match(table, /Bea Member/);
  assert.equal(await bea.locator('button:has-text("Send invitation")').count(), 0, 'a member does not manage members');
  await bea.screenshot({ caret: 'initial', path: `${SCREENSHOTS}/invitation-accepted.png`, fullPage: true });

  await owner.goto(membersPage);
  assert.match(await owner.locator('#members').innerText(), /Bea Member/);
  assert.deepEqual(ownerProblems, [], 'no script errors or CSP violations for the owner');
  assert.deepEqual(beaProblems, [], 'no script errors or CSP violations for the invitee');
});
