import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { graphError } from '../../sandbox/fake-graph.js';
import type { SlackMessage } from '../../sandbox/slack/emulator.js';
import { sendSigned, viewActionBody } from '../../sandbox/slack/requests.js';
import { grantFor } from '../../src/access/grants.js';
import { deny } from '../../src/access/request.js';
import { homeView } from '../../src/slack/blocks/home.js';
import { ACTION, FIELD, VIEW } from '../../src/slack/ids.js';
import {
  ALICE,
  ALICE_IN_SLACK,
  ANN,
  APPROVAL_CHANNEL,
  BOB,
  buttonValue,
  CAROL,
  DAVE,
  eventually,
  Harness,
  isRefusal,
  LEAD,
  SIGNING_SECRET,
  STRANGER,
  TEAM_CHANNEL,
  WABA_ID,
} from '../support/harness.js';
import { buttonsOf, visibleText } from '../support/message-text.js';
import { at, later, pendingRequest as requestFixture } from '../support/requests.js';
import { twoAccountPolicy, withSalesWaba } from '../support/two-accounts.js';

/**
 * Who may use which entry point. Every interactive entry point (each button, form, subcommand and Home tab button)
 * × every kind of actor, driven through the real receiver with signed requests; a cell is "allowed" when the entry
 * point had its effect, and every refused actor must get a private answer while nothing changes. The last test
 * fails when the bot gains a button, form or subcommand without a row here.
 *
 * The cast, on the `support` account (requests are about Alice's Meta user, filed by the lead):
 * - requester: the lead, who filed the request;
 * - beneficiary: Alice — an approver of `support` too, so only the rule about deciding for oneself stops her;
 * - approver: Ann, another approver of `support` (which has a third approver too);
 * - other approver: Bob, who approves only on `sales`;
 * - admin: Carol, an admin and no approver;
 * - stranger: nobody in particular.
 */
const ACTORS = {
  requester: LEAD,
  beneficiary: ALICE_IN_SLACK,
  approver: ANN,
  otherApprover: BOB,
  admin: CAROL,
  stranger: STRANGER,
} as const;
type Actor = keyof typeof ACTORS;
const EVERYONE = Object.keys(ACTORS) as Actor[];

const MATRIX = {
  'button: Approve': ['approver'],
  'button: Deny (opens the form)': ['approver'],
  'form: Deny': ['approver'],
  'button: Cancel': ['requester'],
  'button: Retry': ['approver'],
  // Asking for more time files a request another approver decides: who asked for the grant and who holds it may ask.
  'button: Extend (opens the form)': ['requester', 'beneficiary', 'approver'],
  'form: Extend': ['requester', 'beneficiary', 'approver'],
  // Ending access early only takes it away: the person who holds it may, when they approve on the account.
  'button: Revoke now': ['approver', 'beneficiary'],
  // Giving access back needs no approver: who asked for it and who holds it may.
  'button: I’m done': ['requester', 'beneficiary'],
  // Only the people listed for break-glass (here, the lead) may use it.
  '/waba grant … emergency': ['requester'],
  // A break-glass use is reviewed by an approver who neither used it nor holds it.
  'button: Looks right (break-glass)': ['approver'],
  'button: Revoke now (break-glass review)': ['approver'],
  'button: Keep (conflict)': ['approver'],
  'button: Restore (conflict)': ['approver'],
  '/waba link': ['admin'],
  '/waba unlink': ['admin'],
  // Reviews: the account's approvers and admins start one; only its approvers decide, never on their own row.
  '/waba review': ['approver', 'beneficiary', 'admin'],
  'button: Keep (review)': ['approver'],
  'button: Remove (review)': ['approver'],
  'button: Make temporary (review, opens the form)': ['approver'],
  'form: Make temporary (review)': ['approver'],
  // A change found outside the bot, to Alice's access: her approvers decide it, never Alice.
  'button: Accept (drift)': ['approver'],
  'button: Revert (drift)': ['approver'],
  'button: Make temporary (drift, opens the form)': ['approver'],
  'form: Make temporary (drift)': ['approver'],
  // Moving a review or a digest to another page changes no decision: whoever sees the message may.
  'button: Next page (review)': EVERYONE,
  'button: Next page (drift)': EVERYONE,
  // A list is the reader's own (an ephemeral reply); Refresh reads Meta again for them.
  'button: Show more (list)': EVERYONE,
  'button: Refresh (list)': EVERYONE,
  // Asking is open to all here (the account names no `requesters:`); what is asked for is decided by others.
  '/waba (opens the form)': EVERYONE,
  'form: Request': EVERYONE,
  '/waba grant': EVERYONE,
  '/waba revoke': EVERYONE,
  // Request again only opens the form, filled in: what is sent is the clicker's own request.
  'button: Request again (opens the form)': EVERYONE,
  '/waba audit': ['admin'],
  // The Home tab's buttons are the same decisions, clicked where there is no message and no response URL: a
  // refusal comes by DM. The allowed actor clicks the button their own Home shows; the others send a forged click.
  'Home: Approve': ['approver'],
  'Home: Deny (opens the form)': ['approver'],
  'Home: Cancel': ['requester'],
  'Home: I’m done': ['requester', 'beneficiary'],
  'Home: Request again (opens the form)': EVERYONE,
} satisfies Record<string, readonly Actor[]>;
type EntryPoint = keyof typeof MATRIX;

/**
 * What each row drives: a button's action id, a form's callback id, a subcommand's first word, or a Home tab
 * button. Every id the bot registers must have a row (checked at the end).
 */
const ENTRY_IDS: Record<EntryPoint, string> = {
  'button: Approve': `button:${ACTION.approve}`,
  'button: Deny (opens the form)': `button:${ACTION.deny}`,
  'form: Deny': `form:${VIEW.deny}`,
  'button: Cancel': `button:${ACTION.cancel}`,
  'button: Retry': `button:${ACTION.retry}`,
  'button: Extend (opens the form)': `button:${ACTION.extend}`,
  'form: Extend': `form:${VIEW.extend}`,
  'button: Revoke now': `button:${ACTION.revokeNow}`,
  'button: I’m done': `button:${ACTION.done}`,
  '/waba grant … emergency': 'command:grant',
  'button: Looks right (break-glass)': `button:${ACTION.breakGlassLooksRight}`,
  'button: Revoke now (break-glass review)': `button:${ACTION.breakGlassRevoke}`,
  'button: Keep (conflict)': `button:${ACTION.keep}`,
  'button: Restore (conflict)': `button:${ACTION.restore}`,
  '/waba link': 'command:link',
  '/waba unlink': 'command:unlink',
  '/waba review': 'command:review',
  'button: Keep (review)': `button:${ACTION.reviewKeep}`,
  'button: Remove (review)': `button:${ACTION.reviewRemove}`,
  'button: Make temporary (review, opens the form)': `button:${ACTION.reviewTemporary}`,
  'form: Make temporary (review)': `form:${VIEW.reviewTemporary}`,
  'button: Accept (drift)': `button:${ACTION.driftAccept}`,
  'button: Revert (drift)': `button:${ACTION.driftRevert}`,
  'button: Make temporary (drift, opens the form)': `button:${ACTION.driftTemporary}`,
  'form: Make temporary (drift)': `form:${VIEW.driftTemporary}`,
  'button: Next page (review)': `button:${ACTION.reviewPage}`,
  'button: Next page (drift)': `button:${ACTION.driftPage}`,
  'button: Show more (list)': `button:${ACTION.listMore}`,
  'button: Refresh (list)': `button:${ACTION.listRefresh}`,
  '/waba (opens the form)': 'command:',
  'form: Request': `form:${VIEW.compose}`,
  '/waba grant': 'command:grant',
  '/waba revoke': 'command:revoke',
  'button: Request again (opens the form)': `button:${ACTION.requestAgain}`,
  '/waba audit': 'command:audit',
  'Home: Approve': `home:${ACTION.approve}`,
  'Home: Deny (opens the form)': `home:${ACTION.deny}`,
  'Home: Cancel': `home:${ACTION.cancel}`,
  'Home: I’m done': `home:${ACTION.done}`,
  'Home: Request again (opens the form)': `home:${ACTION.requestAgain}`,
};

/** Subcommands that only ask or read: every actor may use them (the last test runs each as each actor). */
const OPEN_COMMANDS = [
  'help',
  '?',
  'accounts',
  'status',
  'list',
  'roster',
  'active',
  'requests',
  'pending',
  `accounts ${ALICE}`,
  `history ${ALICE}`,
  'who today',
];

/** A third approver of `support`, so a request Ann files (an extension) still has someone to decide it. */
const THIRD_APPROVER = 'UTHIRD';

const POLICY = twoAccountPolicy({
  admins: [CAROL],
  support: { approvers: [ANN, ALICE_IN_SLACK, THIRD_APPROVER], break_glass: { users: [LEAD] } },
  sales: { approvers: [BOB], approval_channel: 'CSALESAPPROVALS' },
  people: { [ALICE_IN_SLACK]: ALICE },
});

let h: Harness;

afterEach(async () => {
  await h?.stop();
});

/** Meta users known to Graph, on no WABA until a row puts them on `support` to have more than one page. */
const CROWD = Array.from({ length: 26 }, (_, i) => String(310_000_000_000_000 + i));

async function start(env: Record<string, string> = {}, sweepIntervalMs?: number): Promise<void> {
  const graph = withSalesWaba();
  for (const [i, id] of CROWD.entries())
    graph.addUser({ id, name: `Member ${String(i).padStart(2, '0')}`, user_type: 'BUSINESS_USER' });
  h = await Harness.startWithPolicy(POLICY, { graph, env, ...(sweepIntervalMs ? { sweepIntervalMs } : {}) });
}

/** Puts the crowd on `support`, as if added in Business Manager: 27 people, so lists and reviews have pages. */
function crowdOnSupport(): void {
  for (const id of CROWD) h.graph.assign(WABA_ID, id, ['MESSAGING']);
}

const rosterReads = () =>
  h.graph.calls.filter((call) => call.method === 'GET' && call.path.endsWith(`${WABA_ID}/assigned_users`)).length;

/** A `/waba list` reply, as the message its buttons are clicked on. */
async function listMessage(): Promise<SlackMessage> {
  const sent = await h.command('list', LEAD);
  const reply = await eventually(() => h.responses(sent.responseId)[0]);
  return { channel: TEAM_CHANNEL, ts: '1700000000.000100', blocks: reply.blocks as SlackMessage['blocks'], updates: 0 };
}

/** A request Ann denied; `message` is the requester's DM about it, with Request again. */
async function deniedRequest(): Promise<{ message: SlackMessage; requestId: string }> {
  const requestId = requestIdOf(await pendingRequest());
  await h.submitView(VIEW.deny, ANN, requestId, {
    [FIELD.reason]: { [FIELD.reason]: { type: 'plain_text_input', value: 'not now' } },
  });
  const message = await eventually(() => dmsOf(LEAD).find((m) => buttonsOf(m).includes(ACTION.requestAgain)));
  return { message, requestId };
}

/** Opens `userId`'s Home tab and waits for the bot to publish it afresh. */
async function homeOf(userId: string): Promise<Record<string, unknown>> {
  const published = () => h.slack.callsOf('views.publish').filter((call) => call.args.user_id === userId).length;
  const before = published();
  await h.slack.link.openHome(userId);
  await eventually(() => published() > before);
  return h.slack.workspace.homes.get(userId)!.view;
}

/**
 * A click on a Home tab button as `userId`: the one their Home shows when it shows one, else a forged click carrying
 * `value` (what someone without the button could send). Resolves to a check for the DM a refusal is sent as.
 */
async function homeClick(actionId: string, userId: string, value: string): Promise<() => boolean> {
  const dms = dmsOf(userId).length;
  if (buttonsOf(await homeOf(userId)).includes(actionId)) {
    await h.slack.link.clickHome(userId, actionId);
  } else {
    const body = viewActionBody({
      actionId,
      blockId: 'home',
      value,
      userId,
      view: { id: `VH${userId}`, type: 'home', blocks: [] },
    });
    expect((await sendSigned(h.eventsUrl, SIGNING_SECRET, body)).status).toBe(200);
  }
  return () => dmsOf(userId).length > dms;
}

const fresh = (message: SlackMessage) => h.slack.messages.get(`${message.channel}:${message.ts}`)!;
const requestIdOf = (message: SlackMessage) =>
  String(message.blocks.find((block) => block.type === 'actions')?.block_id ?? '').split(':')[1] ?? '';
const dmsOf = (userId: string) => h.slack.messagesIn(`D${userId.slice(1)}`);

async function pendingRequest(text = `grant ${ALICE} MESSAGING because on call`): Promise<SlackMessage> {
  const before = h.approvalMessages().length;
  await h.command(text, LEAD);
  return eventually(() => h.approvalMessages()[before]);
}

async function liveGrant(duration = '1h'): Promise<SlackMessage> {
  const approval = await pendingRequest(`grant ${ALICE} MESSAGING for ${duration} because on call`);
  await h.click(approval, ACTION.approve, ANN);
  return eventually(() => buttonsOf(fresh(approval)).includes(ACTION.revokeNow) && fresh(approval));
}

async function stateOf(requestId: string) {
  await h.bot!.service.drain();
  return (await h.bot!.service.get(requestId))?.state;
}

/** A click's private answer (on its response URL). */
async function clickAnswer(message: SlackMessage, actionId: string, userId: string, value?: string) {
  const click = await h.click(message, actionId, userId, value);
  expect(click.status).toBe(200);
  return () => h.responses(click.responseId)[0];
}

/** Waits for an attempt's `effect`, or for the private answer `refused` reports; resolves to whether it had effect. */
function effectOrRefusal(effect: () => Promise<boolean> | boolean, refused: () => unknown): Promise<boolean> {
  return eventually(async () => {
    if (await effect()) return { had: true };
    return refused() ? { had: false } : undefined;
  }).then((seen) => seen.had);
}

/** Alice holds what she held before the grant again: it was given back or revoked. */
const grantGivenBack = () => h.graph.tasksOf(WABA_ID, ALICE)?.join() === 'MANAGE';

/** How one entry point is set up once, tried by one actor, and seen to have had its effect. */
interface Trial {
  setup(): Promise<void>;
  /** Tries the entry point as `userId`; resolves to whether it had its effect (refusals must answer privately). */
  attempt(userId: string): Promise<boolean>;
}

function trial(entry: EntryPoint): Trial {
  let message: SlackMessage;
  let requestId = '';
  let firstPage = '';
  /** Clicks, then waits for either the effect or a private refusal. */
  const clickAndSee = async (actionId: string, userId: string, effect: () => Promise<boolean> | boolean) => {
    const answer = await clickAnswer(message, actionId, userId, actionId === ACTION.cancel ? requestId : undefined);
    return effectOrRefusal(effect, answer);
  };
  /**
   * A button that opens a form at once and checks after: refused, the form turns into the reason with only Close
   * (private by nature); allowed, it is `ready` and stays a form.
   */
  const formOpens = (actionId: string, ready: (view: Record<string, unknown>) => boolean) => async (userId: string) => {
    const before = h.views().length;
    const answer = await clickAnswer(message, actionId, userId);
    return eventually(() => {
      const view = h.views()[before];
      if (!view) return undefined;
      if (isRefusal(view)) return { had: false };
      return ready(view) ? { had: true } : undefined;
    }).then((seen) => {
      // The form is the only answer: nothing on the response URL.
      expect(answer()).toBeUndefined();
      return seen.had;
    });
  };
  /** The Deny form is complete as opened; it counts as allowed once the check would long have turned it. */
  const settledFor = (ms: number) => {
    let firstSeen: number | undefined;
    return () => {
      firstSeen ??= Date.now();
      return Date.now() - firstSeen >= ms;
    };
  };
  /** A form submission: no response URL, so a refusal arrives as a DM. */
  const formSubmit = async (
    callbackId: string,
    userId: string,
    metadata: string,
    values: Record<string, Record<string, unknown>>,
    effect: () => Promise<boolean> | boolean,
  ) => {
    const dms = dmsOf(userId).length;
    const sent = await h.submitView(callbackId, userId, metadata, values);
    expect(sent.status).toBe(200);
    return effectOrRefusal(effect, () => dmsOf(userId).length > dms);
  };
  /** A pending request filed by the lead; `requestId` is its id. */
  const pending = async () => {
    await start();
    requestId = requestIdOf(await pendingRequest());
  };
  /** A request Ann denied; `message` is the lead's DM about it, with Request again. */
  const denied = async () => {
    await start();
    ({ message } = await deniedRequest());
  };
  /** Whether the request form has opened as the `before`th view. */
  const composeOpened = (before: number) => () => h.views()[before]?.callback_id === VIEW.compose;
  const conflict = async () => {
    await start({ MIN_GRANT_DURATION: '1s' }, 100);
    await liveGrant('1s');
    h.graph.assign(WABA_ID, ALICE, ['MANAGE', 'MESSAGING', 'VIEW_COST']);
    message = await eventually(() => h.approvalMessages().find((m) => buttonsOf(m).includes(ACTION.keep)), 6_000);
  };
  const settled = () => buttonsOf(fresh(message)).length === 0;
  /** An open review of `support`, whose only row is Alice's; `requestId` holds the row's button value. */
  const review = async () => {
    await start();
    await h.command('review', ANN);
    message = await eventually(() => h.approvalMessages().find((m) => buttonsOf(m).includes(ACTION.reviewKeep)));
    requestId = buttonValue(message, ACTION.reviewKeep);
  };
  const rowDecided = () => !buttonsOf(fresh(message)).includes(ACTION.reviewKeep);
  /** A digest reporting that Alice was given MESSAGING in Business Manager. */
  const drift = async () => {
    await start();
    const support = h.bot!.accounts.default;
    await h.bot!.drift.checkNow(support);
    h.graph.assign(WABA_ID, ALICE, ['MANAGE', 'MESSAGING']);
    await h.bot!.drift.checkNow(support);
    message = await eventually(() => h.approvalMessages().find((m) => buttonsOf(m).includes(ACTION.driftAccept)));
  };
  /** The digest row's button value: the digest's id and the row. */
  const driftValue = () => {
    const row = message.blocks.find((block) => block.type === 'actions');
    return String((row?.elements as Array<{ value: string }> | undefined)?.[0]?.value);
  };
  const driftRow = async () => {
    await h.bot!.drift.drain();
    return (await h.bot!.drift.digest(driftValue().split(':')[0]!))?.rows[0];
  };
  const linkCommand = (text: string, done: RegExp) => async (userId: string) => {
    const sent = await h.command(text, userId);
    const reply = visibleText(await eventually(() => sent.json ?? h.responses(sent.responseId)[0]));
    return done.test(reply);
  };

  switch (entry) {
    case 'button: Approve':
      return {
        setup: async () => {
          await start();
          message = await pendingRequest();
          requestId = requestIdOf(message);
        },
        attempt: (userId) => clickAndSee(ACTION.approve, userId, async () => (await stateOf(requestId)) !== 'pending'),
      };
    case 'button: Deny (opens the form)':
      return {
        setup: async () => {
          await start();
          message = await pendingRequest();
        },
        attempt: (userId) => formOpens(ACTION.deny, settledFor(1_500))(userId),
      };
    case 'form: Deny':
      return {
        setup: pending,
        attempt: (userId) =>
          formSubmit(
            VIEW.deny,
            userId,
            requestId,
            { [FIELD.reason]: { [FIELD.reason]: { type: 'plain_text_input', value: 'no' } } },
            async () => (await stateOf(requestId)) === 'denied',
          ),
      };
    case 'button: Cancel':
      return {
        setup: async () => {
          await start();
          message = await pendingRequest();
          requestId = requestIdOf(message);
        },
        attempt: (userId) => clickAndSee(ACTION.cancel, userId, async () => (await stateOf(requestId)) === 'canceled'),
      };
    case 'button: Retry':
      return {
        setup: async () => {
          await start();
          const approval = await pendingRequest();
          requestId = requestIdOf(approval);
          h.graph.queueFault({
            status: 403,
            body: graphError(200, 'Permissions error'),
            match: (call) => call.method === 'POST',
          });
          await h.click(approval, ACTION.approve, ANN);
          message = await eventually(() => buttonsOf(fresh(approval)).includes(ACTION.retry) && fresh(approval));
        },
        attempt: (userId) => clickAndSee(ACTION.retry, userId, async () => (await stateOf(requestId)) === 'succeeded'),
      };
    case 'button: Extend (opens the form)':
      return {
        setup: async () => {
          await start();
          message = await liveGrant();
        },
        attempt: formOpens(ACTION.extend, (view) => visibleText(view).includes('Now ends')),
      };
    case 'form: Extend':
      return {
        setup: async () => {
          await start();
          requestId = requestIdOf(await pendingRequest(`grant ${ALICE} MESSAGING for 1h because on call`));
          await h.click(h.approvalMessages().at(-1)!, ACTION.approve, ANN);
          await eventually(async () => (await h.bot!.service.activeGrants()).length === 1);
        },
        attempt: (userId) => {
          const asked = h.approvalMessages().length;
          return formSubmit(
            VIEW.extend,
            userId,
            requestId,
            { [FIELD.duration]: { [FIELD.duration]: { type: 'plain_text_input', value: '1h' } } },
            () => h.approvalMessages().length > asked,
          );
        },
      };
    case 'button: Revoke now':
      return {
        setup: async () => {
          await start();
          message = await liveGrant();
        },
        attempt: (userId) => clickAndSee(ACTION.revokeNow, userId, grantGivenBack),
      };
    case 'button: I’m done':
      return {
        setup: async () => {
          await start();
          message = await liveGrant();
          requestId = requestIdOf(message);
        },
        attempt: async (userId) => {
          const grantId = (await h.bot!.service.activeGrants())[0]?.id ?? requestId;
          return effectOrRefusal(grantGivenBack, await clickAnswer(message, ACTION.done, userId, grantId));
        },
      };
    case '/waba grant … emergency':
      return {
        setup: () => start(),
        attempt: async (userId) => {
          const sent = await h.command(`grant ${ALICE} MESSAGING for 30m emergency because outage`, userId);
          const reply = visibleText(await eventually(() => sent.json ?? h.responses(sent.responseId)[0]));
          const had = /Break-glass carried out/.test(reply);
          expect(had || /can’t use break-glass/.test(reply), reply).toBe(true);
          expect(h.graph.tasksOf(WABA_ID, ALICE)?.includes('MESSAGING')).toBe(had);
          return had;
        },
      };
    case 'button: Looks right (break-glass)':
    case 'button: Revoke now (break-glass review)': {
      const revoke = entry === 'button: Revoke now (break-glass review)';
      return {
        setup: async () => {
          await start();
          const sent = await h.command(`grant ${ALICE} MESSAGING for 30m emergency because outage`, LEAD);
          await eventually(() => h.responses(sent.responseId)[0]);
          message = await eventually(() =>
            h.approvalMessages().find((m) => buttonsOf(m).includes(ACTION.breakGlassRevoke)),
          );
          requestId = requestIdOf(message);
        },
        attempt: (userId) =>
          clickAndSee(revoke ? ACTION.breakGlassRevoke : ACTION.breakGlassLooksRight, userId, async () => {
            const reviewed = (await h.bot!.service.get(requestId))?.emergency?.review;
            return reviewed !== undefined && (!revoke || h.graph.tasksOf(WABA_ID, ALICE)?.join() === 'MANAGE');
          }),
      };
    }
    case 'button: Keep (conflict)':
      return { setup: conflict, attempt: (userId) => clickAndSee(ACTION.keep, userId, settled) };
    case 'button: Restore (conflict)':
      return { setup: conflict, attempt: (userId) => clickAndSee(ACTION.restore, userId, settled) };
    case 'button: Accept (drift)':
      return {
        setup: drift,
        attempt: (userId) =>
          clickAndSee(ACTION.driftAccept, userId, async () => (await driftRow())?.status === 'accepted'),
      };
    case 'button: Revert (drift)':
      return {
        setup: drift,
        attempt: (userId) =>
          clickAndSee(ACTION.driftRevert, userId, () => h.graph.tasksOf(WABA_ID, ALICE)?.join() === 'MANAGE'),
      };
    case 'button: Make temporary (drift, opens the form)':
      return {
        setup: drift,
        attempt: formOpens(ACTION.driftTemporary, (view) => visibleText(view).includes('At most')),
      };
    case 'form: Make temporary (drift)':
      return {
        setup: drift,
        attempt: async (userId) => {
          const value = driftValue();
          return formSubmit(
            VIEW.driftTemporary,
            userId,
            JSON.stringify({ r: value, c: APPROVAL_CHANNEL }),
            { [FIELD.duration]: { [FIELD.duration]: { value: '1h' } } },
            async () => (await driftRow())?.status === 'temporary',
          );
        },
      };
    case '/waba link':
      return { setup: () => start(), attempt: linkCommand(`link <@${STRANGER}> ${DAVE}`, /is now Meta business user/) };
    case '/waba unlink':
      return {
        setup: async () => {
          await start();
          const linked = await h.command(`link <@${STRANGER}> ${DAVE}`, CAROL);
          await eventually(() => h.responses(linked.responseId)[0]);
        },
        attempt: linkCommand(`unlink <@${STRANGER}>`, /no longer linked|unlinked/i),
      };
    case '/waba review':
      return { setup: () => start(), attempt: linkCommand('review', /Started the access review/) };
    case 'button: Keep (review)':
      return { setup: review, attempt: (userId) => clickAndSee(ACTION.reviewKeep, userId, rowDecided) };
    case 'button: Remove (review)':
      return {
        setup: review,
        attempt: (userId) =>
          clickAndSee(ACTION.reviewRemove, userId, () => h.graph.tasksOf(WABA_ID, ALICE) === undefined),
      };
    case 'button: Make temporary (review, opens the form)':
      return {
        setup: review,
        attempt: formOpens(ACTION.reviewTemporary, (view) => visibleText(view).includes('Between')),
      };
    case 'form: Make temporary (review)':
      return {
        setup: review,
        attempt: (userId) =>
          formSubmit(
            VIEW.reviewTemporary,
            userId,
            requestId,
            { [FIELD.until]: { [FIELD.until]: { type: 'plain_text_input', value: '1d' } } },
            async () => (await h.bot!.service.activeGrants()).length === 1,
          ),
      };
    case 'button: Next page (review)':
      return {
        setup: async () => {
          await start();
          crowdOnSupport();
          await h.command('review', ANN);
          message = await eventually(() => h.approvalMessages().find((m) => buttonsOf(m).includes(ACTION.reviewPage)));
        },
        // Ten people a page, in name order: the second page starts with the tenth member.
        attempt: (userId) =>
          clickAndSee(ACTION.reviewPage, userId, () => visibleText(fresh(message)).includes('Member 09')),
      };
    case 'button: Next page (drift)':
      return {
        setup: async () => {
          await start();
          const support = h.bot!.accounts.default;
          await h.bot!.drift.checkNow(support);
          crowdOnSupport();
          await h.bot!.drift.checkNow(support);
          message = await eventually(() => h.approvalMessages().find((m) => buttonsOf(m).includes(ACTION.driftPage)));
          firstPage = visibleText(message);
        },
        attempt: (userId) => clickAndSee(ACTION.driftPage, userId, () => visibleText(fresh(message)) !== firstPage),
      };
    case 'button: Show more (list)':
      return {
        setup: async () => {
          await start();
          crowdOnSupport();
          message = await listMessage();
        },
        attempt: async (userId) => {
          const click = await clickAnswer(message, ACTION.listMore, userId);
          return /26–27 of 27 users/.test(visibleText(await eventually(click)));
        },
      };
    case 'button: Refresh (list)':
      return {
        setup: async () => {
          await start();
          message = await listMessage();
        },
        attempt: async (userId) => {
          const reads = rosterReads();
          const click = await clickAnswer(message, ACTION.listRefresh, userId);
          await eventually(click);
          return rosterReads() > reads;
        },
      };
    case '/waba (opens the form)':
      return {
        setup: () => start(),
        attempt: async (userId) => {
          const before = h.views().length;
          expect((await h.command('', userId)).status).toBe(200);
          return eventually(() => h.views()[before]).then((view) => view.callback_id === VIEW.compose);
        },
      };
    case 'form: Request':
      return {
        setup: () => start(),
        attempt: async (userId) => {
          const asked = h.approvalMessages().length;
          const sent = await h.submitView(VIEW.compose, userId, JSON.stringify({ channelId: TEAM_CHANNEL }), {
            [FIELD.user]: { [FIELD.user]: { type: 'plain_text_input', value: DAVE } },
            [FIELD.tasks]: {
              [FIELD.tasks]: { type: 'multi_static_select', selected_options: [{ value: 'MESSAGING' }] },
            },
            [FIELD.reason]: { [FIELD.reason]: { type: 'plain_text_input', value: 'on call' } },
          });
          if (sent.json?.response_action === 'errors') return false;
          return eventually(() => h.approvalMessages().length > asked);
        },
      };
    case '/waba grant':
      return { setup: () => start(), attempt: linkCommand(`grant ${DAVE} MESSAGING because on call`, /sent it in/) };
    case '/waba revoke':
      return { setup: () => start(), attempt: linkCommand(`revoke ${ALICE} because left`, /sent it in/) };
    case 'button: Request again (opens the form)':
      return {
        setup: denied,
        attempt: async (userId) => {
          const before = h.views().length;
          return effectOrRefusal(composeOpened(before), await clickAnswer(message, ACTION.requestAgain, userId));
        },
      };
    case '/waba audit':
      return { setup: () => start(), attempt: linkCommand('audit', /Sent the whole audit trail/) };
    case 'Home: Approve':
      return {
        setup: pending,
        attempt: async (userId) =>
          effectOrRefusal(
            async () => (await stateOf(requestId)) !== 'pending',
            await homeClick(ACTION.approve, userId, requestId),
          ),
      };
    case 'Home: Deny (opens the form)':
      return {
        setup: pending,
        attempt: async (userId) => {
          const before = h.views().length;
          const settled = settledFor(1_500);
          const refused = await homeClick(ACTION.deny, userId, requestId);
          return eventually(() => {
            const view = h.views()[before];
            if (view && isRefusal(view)) return { had: false };
            return view && settled() ? { had: true } : undefined;
          }).then((seen) => {
            // The form is the only answer: nothing by DM.
            expect(refused()).toBe(false);
            return seen.had;
          });
        },
      };
    case 'Home: Cancel':
      return {
        setup: pending,
        attempt: async (userId) =>
          effectOrRefusal(
            async () => (await stateOf(requestId)) === 'canceled',
            await homeClick(ACTION.cancel, userId, requestId),
          ),
      };
    case 'Home: I’m done':
      return {
        setup: async () => {
          await start();
          await liveGrant();
        },
        attempt: async (userId) => {
          const grantId = (await h.bot!.service.activeGrants())[0]!.id;
          return effectOrRefusal(grantGivenBack, await homeClick(ACTION.done, userId, grantId));
        },
      };
    case 'Home: Request again (opens the form)':
      return {
        setup: denied,
        attempt: async (userId) => {
          const before = h.views().length;
          const prefill = buttonValue(message, ACTION.requestAgain);
          return effectOrRefusal(composeOpened(before), await homeClick(ACTION.requestAgain, userId, prefill));
        },
      };
  }
}

describe('authorization matrix', () => {
  for (const [entry, allowed] of Object.entries(MATRIX) as Array<[EntryPoint, Actor[]]>) {
    it(`${entry}: only ${allowed.join(' and ')}`, async () => {
      let { setup, attempt } = trial(entry);
      await setup();
      const seen: Partial<Record<Actor, boolean>> = {};
      // Refused actors first, on one setup: each must leave things as they were.
      const writesBefore = h.graph.writes().length;
      for (const actor of EVERYONE.filter((candidate) => !allowed.includes(candidate))) {
        seen[actor] = await attempt(ACTORS[actor]);
      }
      // A private answer is not enough: once the bot has finished everything those attempts started, Meta must
      // have seen no write from any of them.
      await h.bot!.service.drain();
      expect(h.graph.writes().length, `${entry}: a refused attempt wrote to Meta`).toBe(writesBefore);
      // An allowed attempt moves the state on, so each further allowed actor gets a setup of their own.
      for (const [index, actor] of allowed.entries()) {
        if (index > 0) {
          await h.stop();
          ({ setup, attempt } = trial(entry));
          await setup();
        }
        seen[actor] = await attempt(ACTORS[actor]);
      }
      expect(seen).toEqual(Object.fromEntries(EVERYONE.map((actor) => [actor, allowed.includes(actor)])));
    }, 30_000);
  }

  it('every subcommand that asks or reads is open to all, and the Home tab shows each person their own', async () => {
    await start();
    for (const actor of EVERYONE) {
      for (const text of OPEN_COMMANDS) {
        const sent = await h.command(text, ACTORS[actor], TEAM_CHANNEL);
        expect(sent.status).toBe(200);
        const reply = visibleText(
          await eventually(() => (sent.json?.blocks ? sent.json : h.responses(sent.responseId)[0])),
        );
        expect(reply, `${actor}: /waba ${text}`).not.toMatch(/only (approvers|admins)|can’t|not allowed/i);
      }
    }
    // With a request waiting: the approver sees Approve and Deny on their Home, the requester Cancel, and nobody
    // else any of them (the person it is for, an approver of the account too, least of all).
    await pendingRequest();
    const homeButtons: Partial<Record<Actor, string[]>> = {};
    for (const actor of EVERYONE) homeButtons[actor] = buttonsOf(await homeOf(ACTORS[actor]));
    expect(homeButtons).toEqual({
      requester: [ACTION.cancel],
      beneficiary: [],
      approver: [ACTION.approve, ACTION.deny],
      otherApprover: [],
      admin: [],
      stranger: [],
    });
  });

  it('has a row for every button, form, subcommand and Home tab button the bot has', () => {
    const covered = new Set([
      ...Object.values(ENTRY_IDS),
      ...OPEN_COMMANDS.map((text) => `command:${text.split(' ')[0]}`),
    ]);
    // The subcommands are the cases of the grammar's verb switch; the form is `/waba` alone.
    const grammar = readFileSync(new URL('../../src/slack/command-grammar.ts', import.meta.url), 'utf8');
    const verbSwitch = grammar.slice(grammar.indexOf('function parseVerb'), grammar.indexOf('default:'));
    const verbs = [...verbSwitch.matchAll(/case '([^']+)':/g)].map((match) => match[1]!);
    expect(verbs).toContain('grant');
    // The Home tab's buttons, as it draws them for a person with something of every kind on it.
    const waiting = requestFixture();
    const home = homeView(
      { mine: [waiting], toDecide: [waiting] },
      [deny(waiting, ANN, at)],
      [grantFor(waiting, ['MESSAGING'], at, later)],
    );
    const expected = [
      ...Object.values(ACTION).map((id) => `button:${id}`),
      ...Object.values(VIEW).map((id) => `form:${id}`),
      'command:',
      ...verbs.map((verb) => `command:${verb}`),
      ...buttonsOf(home).map((id) => `home:${id}`),
    ];
    expect(expected.filter((id) => !covered.has(id))).toEqual([]);
  });
});
