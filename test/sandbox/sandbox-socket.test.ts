import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO, type Sandbox, startSandbox } from '../../sandbox/sandbox.js';
import { keyOf } from '../../sandbox/slack/workspace.js';
import { ACTION } from '../../src/slack/ids.js';
import { eventually } from '../support/harness.js';
import { visibleText } from '../support/message-text.js';

/** `npm run sandbox -- --socket`: the same sandbox, with the bot in Socket Mode, driven through the page's endpoints. */
describe('the sandbox in Socket Mode', () => {
  let sandbox: Sandbox;

  beforeAll(async () => {
    sandbox = await startSandbox({ port: 0, mode: 'socket' });
  }, 60_000);
  afterAll(async () => {
    await sandbox?.stop();
  });

  /** What the page sends when a person acts. */
  const ui = async (action: string, body: object) => {
    const response = await fetch(`${sandbox.url}/ui/${action}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    expect(response.status, await response.clone().text()).toBe(200);
  };

  it('tells the page it is in Socket Mode, and runs a request from command to Graph over the socket', async () => {
    const state = (await (await fetch(`${sandbox.url}/ui/state?as=${DEMO.lead}`)).json()) as { mode: string };
    expect(state.mode).toBe('socket');

    await ui('command', {
      as: DEMO.lead,
      channel: DEMO.supportChannel,
      text: '/waba grant @zoe MESSAGING for 4h because covering the queue',
    });
    const request = await eventually(() => sandbox.emulator.messagesIn(DEMO.approvalChannel)[0], 10_000);
    expect(visibleText(request)).toContain('310000000000005');
    await ui('click', { as: DEMO.approvers[0], message: keyOf(request), actionId: ACTION.approve });

    await eventually(() => visibleText(sandbox.emulator.messages.get(keyOf(request))!).includes('Approved by'), 10_000);
    await eventually(() => sandbox.graph.tasksOf(DEMO.wabaId, '310000000000005')?.includes('MESSAGING'), 10_000);
    expect(sandbox.graph.writes()).toHaveLength(1);
    expect(sandbox.emulator.socketMode.envelopes.map((envelope) => envelope.type)).toEqual(
      expect.arrayContaining(['slash_commands', 'interactive']),
    );
  }, 30_000);
});
