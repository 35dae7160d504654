import { afterEach, describe, expect, it } from 'vitest';
import { graphError } from '../../sandbox/fake-graph.js';
import type { SlackMessage } from '../../sandbox/slack/emulator.js';
import { ACTION, FIELD, VIEW } from '../../src/slack/ids.js';
import {
  ALICE,
  ALICE_IN_SLACK,
  ANN,
  APPROVAL_CHANNEL,
  BOB,
  CAROL,
  DAVE,
  eventually,
  Harness,
  isRefusal,
  LEAD,
  STRANGER,
  TEAM_CHANNEL,
  WABA_ID,
} from '../support/harness.js';
import { buttonsOf, visibleText } from '../support/message-text.js';
import { twoAccountPolicy, withSalesWaba } from '../support/two-accounts.js';

/**
 * Who may use which entry point. Every interactive entry point × every kind of actor, driven through the real
 * receiver with signed requests; a cell is "allowed" when the entry point had its effect, and every refused actor
 * must get a private answer while nothing changes.
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
} satisfies Record<string, Actor[]>;
type EntryPoint = keyof typeof MATRIX;

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

async function start(env: Record<string, string> = {}, sweepIntervalMs?: number): Promise<void> {
  h = await Harness.startWithPolicy(POLICY, {
    graph: withSalesWaba(),
    env,
    ...(sweepIntervalMs ? { sweepIntervalMs } : {}),
  });
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

/** How one entry point is set up once, tried by one actor, and seen to have had its effect. */
interface Trial {
  setup(): Promise<void>;
  /** Tries the entry point as `userId`; resolves to whether it had its effect (refusals must answer privately). */
  attempt(userId: string): Promise<boolean>;
}

function trial(entry: EntryPoint): Trial {
  let message: SlackMessage;
  let requestId = '';
  /** Clicks, then waits for either the effect or a private refusal. */
  const clickAndSee = async (actionId: string, userId: string, effect: () => Promise<boolean> | boolean) => {
    const answer = await clickAnswer(message, actionId, userId, actionId === ACTION.cancel ? requestId : undefined);
    return eventually(async () => {
      if (await effect()) return { had: true };
      return answer() ? { had: false } : undefined;
    }).then((seen) => seen.had);
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
    return eventually(async () => {
      if (await effect()) return { had: true };
      return dmsOf(userId).length > dms ? { had: false } : undefined;
    }).then((seen) => seen.had);
  };
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
    requestId = String(
      message.blocks
        .flatMap((block) => (block.elements as Array<Record<string, unknown>> | undefined) ?? [])
        .find((element) => element.action_id === ACTION.reviewKeep)?.value,
    );
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
        setup: async () => {
          await start();
          requestId = requestIdOf(await pendingRequest());
        },
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
        attempt: (userId) =>
          clickAndSee(ACTION.revokeNow, userId, () => h.graph.tasksOf(WABA_ID, ALICE)?.join() === 'MANAGE'),
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
          const answer = await clickAnswer(message, ACTION.done, userId, grantId);
          return eventually(() => {
            if (h.graph.tasksOf(WABA_ID, ALICE)?.join() === 'MANAGE') return { had: true };
            return answer() ? { had: false } : undefined;
          }).then((seen) => seen.had);
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
  }
}

describe('authorization matrix', () => {
  for (const [entry, allowed] of Object.entries(MATRIX) as Array<[EntryPoint, Actor[]]>) {
    it(`${entry}: only ${allowed.join(' and ')}`, async () => {
      let { setup, attempt } = trial(entry);
      await setup();
      const seen: Partial<Record<Actor, boolean>> = {};
      // Refused actors first, on one setup: each must leave things as they were.
      for (const actor of EVERYONE.filter((candidate) => !allowed.includes(candidate))) {
        seen[actor] = await attempt(ACTORS[actor]);
      }
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
      for (const text of [
        'help',
        'accounts',
        'list',
        'active',
        'requests',
        `accounts ${ALICE}`,
        `history ${ALICE}`,
        'who today',
      ]) {
        const sent = await h.command(text, ACTORS[actor], TEAM_CHANNEL);
        expect(sent.status).toBe(200);
        const reply = visibleText(
          await eventually(() => (sent.json?.blocks ? sent.json : h.responses(sent.responseId)[0])),
        );
        expect(reply, `${actor}: /waba ${text}`).not.toMatch(/only (approvers|admins)|can’t|not allowed/i);
      }
      await h.slack.link.openHome(ACTORS[actor]);
    }
    await eventually(() => h.slack.callsOf('views.publish').length >= EVERYONE.length);
    const published = h.slack.callsOf('views.publish').map((call) => call.args.user_id);
    expect(new Set(published)).toEqual(new Set(Object.values(ACTORS)));
  });
});
