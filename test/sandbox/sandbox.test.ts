import { existsSync } from 'node:fs';
import { type Browser, chromium, type Locator, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO, type Sandbox, startSandbox } from '../../sandbox/sandbox.js';

/**
 * The sandbox in a real browser: Debian's Chromium driven by playwright-core. `.ci/run` installs Chromium; without it
 * (and outside CI) this suite is skipped. SANDBOX_SCREENSHOT=path saves the picture the README shows.
 */

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
// Without the background-networking flags Chromium keeps dialling Google, which a closed network refuses.
const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

describe.skipIf(!existsSync(CHROMIUM) && !process.env.CI)('the sandbox in a browser', () => {
  let sandbox: Sandbox;
  let browser: Browser;
  let page: Page;
  const consoleErrors: string[] = [];

  beforeAll(async () => {
    sandbox = await startSandbox({ port: 0, driftCheckEvery: '10s' });
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
    page = await browser.newPage({ viewport: { width: 1500, height: 900 } });
    page.setDefaultTimeout(10_000);
    page.on('console', (message) => {
      if (message.type() === 'error') consoleErrors.push(message.text());
    });
    page.on('pageerror', (error) => consoleErrors.push(error.message));
    await page.goto(sandbox.url);
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await sandbox?.stop();
  });

  /** Waits (as a person would look again) until a locator's text meets the expectation. */
  const textOf = (locator: Locator) =>
    expect.poll(async () => (await locator.allInnerTexts()).join('\n'), { timeout: 10_000 });
  const countOf = (locator: Locator) => expect.poll(() => locator.count(), { timeout: 10_000 });
  const pane = (id: string) => page.locator(`[data-pane="${id}"]`);
  const support = () => pane(DEMO.supportChannel);
  const approvals = () => pane(DEMO.approvalChannel);
  const actAs = (userId: string) => page.getByLabel('You are').selectOption(userId);
  const type = async (text: string) => {
    const composer = page.getByLabel('Message #support-team');
    await composer.fill(text);
    await composer.press('Enter');
    // The composer empties once the line has reached the emulator.
    await expect.poll(() => composer.inputValue(), { timeout: 10_000 }).toBe('');
  };

  it('takes a request from the lead, refuses the lead’s own approval, and grants on an approver’s click', async () => {
    expect(await page.getByLabel('You are').inputValue()).toBe(DEMO.lead);
    await textOf(page.locator('header .mode')).toBe('HTTP mode');
    await type('/waba grant @zoe MESSAGING for 4h because covering the weekend queue');

    const ephemeral = support().locator('.message.ephemeral');
    await textOf(ephemeral).toContain('Only visible to you');
    await textOf(ephemeral).toContain('Asked for');
    const request = approvals().locator('.message').filter({ hasText: 'WABA access request' });
    await textOf(request).toContain('@Zoe Williams · 310000000000005');
    await textOf(request).toContain('covering the weekend queue');

    await request.getByRole('button', { name: 'Approve' }).click();
    await textOf(approvals().locator('.message.ephemeral')).toMatch(/own request/i);

    await actAs(DEMO.approvers[0]);
    await countOf(approvals().locator('.message.ephemeral')).toBe(0);
    await request.getByRole('button', { name: 'Approve' }).click();

    await textOf(request).toContain('Approved by @Ana Silva');
    await countOf(request.getByRole('button', { name: 'Approve' })).toBe(0);
    const graphCalls = page.getByRole('complementary').locator('section', { hasText: 'Calls to Graph' });
    await textOf(graphCalls).toContain(`POST /v23.0/${DEMO.wabaId}/assigned_users`);
    await textOf(graphCalls).toContain('tasks=["MESSAGING"]');
    expect(sandbox.graph.tasksOf(DEMO.wabaId, '310000000000005')).toEqual(['MESSAGING']);

    await actAs(DEMO.lead);
    await textOf(pane(`D${DEMO.lead.slice(1)}`)).toContain('Approved by @Ana Silva');
    if (process.env.SANDBOX_SCREENSHOT) await page.screenshot({ path: process.env.SANDBOX_SCREENSHOT });
  });

  it('fills the request form, shows what is missing, and lets an approver deny with a reason', async () => {
    await type('/waba');
    const form = page.getByRole('dialog', { name: 'Request WABA access' });
    await form.waitFor();
    await form.getByRole('button', { name: 'Send for approval' }).click();
    await textOf(form.getByRole('alert')).toContain('Choose a person, or enter their Meta id below.');

    // The policy file says who Maya is at Meta, so the person picker is enough.
    await form.getByLabel('Person').selectOption('UMAYA');
    await form.getByLabel('Tasks (for a grant)').selectOption(['MESSAGING', 'VIEW_TEMPLATES']);
    await form.getByRole('button', { name: 'Send for approval' }).click();
    await countOf(form).toBe(0);

    // Once the bot has read the roster (its drift check does), Meta's name for Maya shows beside her id.
    const request = approvals()
      .locator('.message')
      .filter({ hasText: /@Maya Chen · (Maya Chen \()?310000000000001/ });
    await textOf(request).toContain('VIEW_TEMPLATES');
    await actAs(DEMO.approvers[1]);
    await request.getByRole('button', { name: 'Deny' }).click();
    const deny = page.getByRole('dialog', { name: 'Deny request' });
    await deny.getByLabel('Reason').fill('Templates are owned by marketing');
    await deny.getByRole('button', { name: 'Deny' }).click();

    await textOf(request).toContain('Denied by @Ben Okafor');
    await textOf(request).toContain('Templates are owned by marketing');
    expect(sandbox.graph.tasksOf(DEMO.wabaId, '310000000000001')).toEqual(['MANAGE']);
  });

  it('shows the Home tab the app publishes, and a decision there redraws it', async () => {
    await actAs(DEMO.lead);
    // The policy file names Lucas by the email on his Slack profile: he can be named.
    await type('/waba grant @lucas VIEW_INSIGHTS because weekly report');
    await textOf(support().locator('.message.ephemeral').last()).toContain('@Lucas Moreau · 310000000000004');
    await actAs(DEMO.approvers[1]);
    const home = page.locator('#home');
    const waiting = home.locator('.block.section').filter({ hasText: '310000000000004' });
    await textOf(waiting).toContain('VIEW_INSIGHTS');
    await home.getByRole('button', { name: 'Approve' }).click();

    await textOf(home).toContain('Nothing is waiting for you.');
    await textOf(home).toContain('Approved by @Ben Okafor');
    expect(sandbox.graph.tasksOf(DEMO.wabaId, '310000000000004')).toEqual(['VIEW_INSIGHTS']);
  });

  it('sends a request on the other account to that account’s approval channel, where only its approver decides', async () => {
    await actAs(DEMO.lead);
    await type('/waba grant @lucas MESSAGING on marketing for 2d because product launch');
    const marketing = pane(DEMO.marketingApprovalChannel);
    const request = marketing.locator('.message').filter({ hasText: 'WABA access request' });
    await textOf(request).toContain(`marketing · ${DEMO.marketingWabaId}`);

    await actAs(DEMO.approvers[0]);
    await request.getByRole('button', { name: 'Approve' }).click();
    await textOf(marketing.locator('.message.ephemeral')).toContain('Only approvers can decide');
    await actAs(DEMO.approvers[1]);
    await request.getByRole('button', { name: 'Approve' }).click();
    await textOf(request).toContain('Approved by @Ben Okafor');
    expect(sandbox.graph.tasksOf(DEMO.marketingWabaId, '310000000000004')).toEqual(['MESSAGING']);
    expect(sandbox.graph.tasksOf(DEMO.wabaId, '310000000000004')).toEqual(['VIEW_INSIGHTS']);
  });

  it('changes Meta from the side panel as Business Manager would, and the approvers hear of it and act', async () => {
    const tom = [...sandbox.graph.users.values()].find((user) => user.name === 'Tom Becker')!;
    await actAs(DEMO.approvers[0]);
    const manager = page.getByRole('complementary').locator('section', { hasText: 'Business Manager' });
    await manager.getByLabel('Account').selectOption(DEMO.wabaId);
    await manager.getByLabel('Person').selectOption(tom.id);
    await manager.getByLabel('Tasks').fill('messaging');
    await manager.getByRole('button', { name: 'Set tasks' }).click();
    await expect.poll(() => sandbox.graph.tasksOf(DEMO.wabaId, tom.id), { timeout: 10_000 }).toEqual(['MESSAGING']);

    const digest = approvals().locator('.message').filter({ hasText: 'Changes outside the bot on support' });
    await expect
      .poll(async () => (await digest.allInnerTexts()).join('\n'), { timeout: 30_000 })
      .toContain('Tom Becker');
    await textOf(digest).toContain('was added outside the bot, with MESSAGING');
    await digest.getByRole('button', { name: 'Revert' }).click();
    await textOf(digest).toContain('Reverted by @Ana Silva');
    await expect.poll(() => sandbox.graph.tasksOf(DEMO.wabaId, tom.id), { timeout: 10_000 }).toBeUndefined();
  }, 60_000);

  it('logged no errors in the browser console', () => {
    expect(consoleErrors).toEqual([]);
  });
});
