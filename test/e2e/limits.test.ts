import { writeFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { graphError } from '../../sandbox/fake-graph.js';
import type { SlackMessage } from '../../sandbox/slack/emulator.js';
import { ACTION, FIELD, VIEW } from '../../src/slack/ids.js';
import {
  ALICE,
  ANN,
  APPROVAL_CHANNEL,
  BOB,
  BUSINESS_ID,
  buttonValue,
  eventually,
  Harness,
  LEAD,
  WABA_ID,
} from '../support/harness.js';
import { buttonsOf, visibleText } from '../support/message-text.js';

/**
 * Limits that hold when they are applied, not only when they are asked about: the longest grant when an extension
 * is carried out, one extension waiting per grant, and Retry under the rules in force now and only for
 * `REQUEST_TTL` after the failure. Driven through the real receiver; the policy changes as SIGHUP changes it.
 */

let h: Harness;

afterEach(async () => {
  await h?.stop();
});

/** One account, `support`, with these extra rules (YAML lines under it). */
function policy(rules: string[]): string {
  return [
    'accounts:',
    '  support:',
    `    waba_id: ${WABA_ID}`,
    `    business_id: ${BUSINESS_ID}`,
    `    approvers: [${ANN}, ${BOB}]`,
    `    approval_channel: ${APPROVAL_CHANNEL}`,
    ...rules.map((rule) => `    ${rule}`),
    '',
  ].join('\n');
}

/** Rewrites the policy file and reloads it, as SIGHUP does. */
function reload(rules: string[]): void {
  writeFileSync(h.env.WABA_CONFIG!, policy(rules));
  expect(h.bot!.reloadPolicy()).toMatchObject({ kind: 'reloaded' });
}

const current = (message: SlackMessage) => h.slack.messages.get(`${message.channel}:${message.ts}`)!;
const dmsOf = (userId: string) => h.slack.messagesIn(`D${userId.slice(1)}`);

async function filed(text: string): Promise<SlackMessage> {
  const before = h.approvalMessages().length;
  await h.command(text, LEAD);
  return eventually(() => h.approvalMessages()[before]);
}

async function clickReply(message: SlackMessage, actionId: string, userId: string): Promise<string> {
  const click = await h.click(message, actionId, userId);
  return visibleText(await eventually(() => h.responses(click.responseId)[0]));
}

/** Submits the Extend form for a grant as `userId`. */
function askForMore(grantId: string, userId: string, duration: string) {
  return h.submitView(VIEW.extend, userId, grantId, {
    [FIELD.duration]: { [FIELD.duration]: { type: 'plain_text_input', value: duration } },
  });
}

/** Files a grant Meta refuses to carry out, approved by Ann; resolves to its message once it shows Retry. */
async function failedGrant(text: string): Promise<SlackMessage> {
  h.graph.queueFault({
    status: 403,
    body: graphError(200, 'Permissions error'),
    match: (call) => call.method === 'POST',
  });
  const approval = await filed(text);
  await h.click(approval, ACTION.approve, ANN);
  return eventually(() => buttonsOf(current(approval)).includes(ACTION.retry) && current(approval));
}

describe('extensions', () => {
  it('keeps one waiting per grant, and checks the longest grant again when one is carried out', async () => {
    h = await Harness.startWithPolicy(policy(['max_duration: 7d']));
    const approval = await filed(`grant ${ALICE} MESSAGING for 6d because audit`);
    await h.click(approval, ACTION.approve, ANN);
    const [grant] = await eventually(async () => {
      const live = await h.bot!.service.activeGrants();
      return live.length === 1 && live;
    });

    // Asked for when 6d + 12h fits within 7d.
    await askForMore(grant!.id, BOB, '12h');
    const extension = await eventually(() => h.approvalMessages().find((m) => visibleText(m).includes('more of')));
    // A second one while the first waits is refused, privately, and nothing more is filed.
    const annDms = dmsOf(ANN).length;
    await askForMore(grant!.id, ANN, '1h');
    const refusal = await eventually(() => dmsOf(ANN)[annDms]);
    expect(visibleText(refusal)).toContain('An extension of this access is already waiting');
    await h.bot!.service.drain();
    expect(h.approvalMessages().filter((m) => visibleText(m).includes('more of'))).toHaveLength(1);

    // The longest grant shrinks before the extension is approved: carried out now, it would run past it.
    reload(['max_duration: 6d']);
    await h.click(extension, ACTION.approve, ANN);
    const failed = await eventually(
      () => visibleText(current(extension)).includes('allowed from now') && current(extension),
    );
    expect(visibleText(failed)).toContain('would run longer than the 6d allowed from now, so it was not extended');
    expect((await h.bot!.service.liveGrant(grant!.id))?.endsAt).toBe(grant!.endsAt);
    expect(h.graph.writes()).toHaveLength(1);
  });
});

describe('Retry', () => {
  it('checks the tasks and approvals the policy asks for now, and goes through once they allow it', async () => {
    h = await Harness.startWithPolicy(policy(['tasks: [MESSAGING, VIEW_COST]']));
    const failed = await failedGrant(`grant ${ALICE} VIEW_COST because reports`);

    reload(['tasks: [MESSAGING]']);
    expect(await clickReply(failed, ACTION.retry, BOB)).toContain(
      'VIEW_COST can no longer be requested on support, so this request cannot be retried; nothing was sent.',
    );
    reload(['tasks: [MESSAGING, VIEW_COST]', 'approvals: 2']);
    expect(await clickReply(failed, ACTION.retry, BOB)).toContain(
      'This request now needs 2 approvals and had 1, so it cannot be retried; nothing was sent.',
    );
    await h.bot!.service.drain();
    expect(h.graph.writes()).toEqual([]);

    reload(['tasks: [MESSAGING, VIEW_COST]']);
    await h.click(failed, ACTION.retry, BOB);
    await eventually(() => h.graph.writes().length === 1);
    expect(h.graph.tasksOf(WABA_ID, ALICE)).toEqual(['MANAGE', 'VIEW_COST']);
  });

  it('is refused once REQUEST_TTL has passed since the failure, and the click takes Retry off the message', async () => {
    // No sweep runs during the test: the click itself finds the window closed.
    h = await Harness.startWithPolicy(policy([]), { env: { REQUEST_TTL: '2s' } });
    const failed = await failedGrant(`grant ${ALICE} MESSAGING because on call`);
    await sleep(2_100);
    expect(await clickReply(failed, ACTION.retry, BOB)).toMatch(
      /^The time to retry this request ended <!date\^\d+\^[^>]+>, so it has expired and can no longer be retried; nothing was sent\./,
    );
    const expired = await eventually(() => !buttonsOf(current(failed)).includes(ACTION.retry) && current(failed));
    expect(visibleText(expired)).toContain('it was not retried in time');
    await h.bot!.service.drain();
    expect(h.graph.writes()).toEqual([]);
  });

  it('shows until when Retry works as a Slack date, and after REQUEST_TTL the sweep expires the request', async () => {
    h = await Harness.startWithPolicy(policy([]), { env: { REQUEST_TTL: '2s' }, sweepIntervalMs: 100 });
    const failed = await failedGrant(`grant ${ALICE} MESSAGING because on call`);
    const request = (await h.bot!.service.get(buttonValue(failed, ACTION.retry)))!;
    if (request.state !== 'failed') throw new Error(request.state);
    const deadline = Math.floor(Date.parse(request.retryUntil!) / 1000);
    expect(Date.parse(request.retryUntil!) - Date.parse(request.finishedAt)).toBe(2_000);
    expect(visibleText(failed)).toContain(`Retry is possible until <!date^${deadline}^`);
    expect(visibleText(failed)).not.toContain(request.retryUntil!);

    const leadDms = dmsOf(LEAD).length;
    const expired = await eventually(
      () => visibleText(current(failed)).includes('not retried in time') && current(failed),
      6_000,
    );
    expect(buttonsOf(expired)).toEqual([]);
    expect(visibleText(expired)).toContain(`it was not retried in time (by <!date^${deadline}^`);
    expect(visibleText(expired)).toContain('*Meta said:* Permissions error');
    expect(await h.bot!.service.get(request.id)).toMatchObject({ state: 'expired' });
    // The requester hears of it as of any other end, with a way to ask again.
    const told = await eventually(() =>
      dmsOf(LEAD)
        .slice(leadDms)
        .find((m) => visibleText(m).includes('not retried')),
    );
    expect(buttonsOf(told)).toEqual([ACTION.requestAgain]);

    expect(await clickReply(failed, ACTION.retry, BOB)).toContain('The time to retry this request ended');
    await h.bot!.service.drain();
    expect(h.graph.writes()).toEqual([]);
  });
});
