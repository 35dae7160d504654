import { afterEach, describe, expect, it } from 'vitest';
import { ACTION, VIEW } from '../../src/slack/ids.js';
import {
  ANN,
  APPROVAL_CHANNEL,
  BOB,
  DAVE,
  defaultGraph,
  eventually,
  GROUP,
  Harness,
  LEAD,
  TEAM_CHANNEL,
  WABA_ID,
} from '../support/harness.js';
import { buttonsOf } from '../support/message-text.js';
import { type AllowedTokens, limitProblems, mrkdwnProblems, textsOf } from '../support/mrkdwn-check.js';

let h: Harness;

afterEach(async () => {
  await h?.stop();
});

/** What a hostile requester types as a reason, and what a hostile Meta admin names users. */
const REASON =
  'covering <!channel> <https://evil.example|Approve here> <@U0ADMIN> <!subteam^S1> &amp; *bold* ```\n> quoted';
const DENIAL = 'no <https://evil.example/phish|Click to appeal> & <!here>';
const META_NAME = '<!everyone> <https://evil.example|Ann Approver>';
const EVE = '300000000000009';
const MALLORY = '300000000000010';

const ALLOWED: AllowedTokens = {
  users: [LEAD, ANN, BOB],
  groups: [GROUP],
  channels: [APPROVAL_CHANNEL, TEAM_CHANNEL],
};

/** Everything the bot made a person see: messages, ephemerals, DMs, response-URL replies, modals, Home tabs. */
function everythingShown(): unknown[] {
  const { workspace, responses } = h.slack;
  return [
    ...[...workspace.messages.values()].filter((message) => !message.user || message.user === workspace.botUserId),
    ...workspace.ephemerals.values(),
    ...responses.map((response) => response.body),
    ...[...workspace.views.values()].map((view) => view.view),
    ...[...workspace.homes.values()].map((home) => home.view),
  ];
}

function problemsIn(payloads: unknown[]): string[] {
  return payloads.flatMap((payload) => [
    ...textsOf(payload).mrkdwn.flatMap((text) => mrkdwnProblems(text, ALLOWED)),
    ...limitProblems(payload),
  ]);
}

describe('text from outside the bot', () => {
  it('shows escaped on every surface a request passes through, from the form to the denial', async () => {
    const graph = defaultGraph()
      .addUser({ id: EVE, name: META_NAME, user_type: 'BUSINESS_USER' })
      .addUser({ id: MALLORY, name: META_NAME, user_type: 'BUSINESS_USER' })
      .assign(WABA_ID, MALLORY, ['MESSAGING']);
    h = await Harness.start({ graph });

    // The form: the reason arrives raw from a plain_text_input.
    await h.command('');
    const opened = await eventually(() => h.slack.callsOf('views.open')[0]);
    const form = opened.args.view as { private_metadata: string };
    await h.submitView(VIEW.compose, LEAD, form.private_metadata, {
      kind: { kind: { type: 'radio_buttons', selected_option: { value: 'grant' } } },
      user: { user: { type: 'plain_text_input', value: EVE } },
      tasks: { tasks: { type: 'multi_static_select', selected_options: [{ value: 'MESSAGING' }] } },
      reason: { reason: { type: 'plain_text_input', value: REASON } },
    });
    const [approval] = await eventually(() => h.approvalMessages().length === 1 && h.approvalMessages());
    const shown = textsOf(approval).mrkdwn.join('\n');
    expect(shown).toContain('&lt;!channel&gt; &lt;https://evil.example|Approve here&gt;');
    expect(shown).toContain('&lt;@U0ADMIN&gt; &lt;!subteam^S1&gt; &amp;amp;');
    expect(buttonsOf(approval!)).toEqual([ACTION.approve, ACTION.deny]);

    // The lists: /waba requests and the Home tab of an approver, /waba list with a hostile Meta name.
    await h.slack.link.command(ANN, TEAM_CHANNEL, '/waba', 'requests');
    await h.slack.link.openHome(ANN);
    await eventually(() => h.slack.workspace.homes.get(ANN));
    const list = await h.command('list', ANN);
    const roster = await eventually(() => h.responses(list.responseId)[0]);
    expect(textsOf(roster).mrkdwn.join('\n')).toContain(
      '*&lt;!everyone&gt; &lt;https://evil.example|Ann Approver&gt;*',
    );
    const home = textsOf(h.slack.workspace.homes.get(ANN)!.view).mrkdwn.join('\n');
    expect(home).toContain('&lt;!channel&gt;');

    // Hostile command text gets a clear answer, escaped.
    const typo = await h.command(`grant <!channel> MESSAGING`);
    const alias = await h.command(`grant ${DAVE} MESSAGING on <!here>`);
    await eventually(() => h.responses(typo.responseId)[0] ?? typo.json);
    await eventually(() => h.responses(alias.responseId)[0] ?? alias.json);

    // The denial: its reason is typed raw too, and reaches the channel, the requester's DM and the approval message.
    await h.click(approval!, ACTION.deny, BOB);
    const denyForm = await eventually(() => h.slack.callsOf('views.open')[1]);
    await h.submitView(VIEW.deny, BOB, (denyForm.args.view as { private_metadata: string }).private_metadata, {
      reason: { reason: { type: 'plain_text_input', value: DENIAL } },
    });
    const dm = await eventually(() => h.slack.messagesIn(`D${LEAD.slice(1)}`)[0]);
    expect(textsOf(dm).mrkdwn.join('\n')).toContain('&lt;https://evil.example/phish|Click to appeal&gt; &amp;');
    await h.slack.link.openHome(LEAD);
    await eventually(() => h.slack.workspace.homes.get(LEAD));

    // Answers given in the ack itself come back as the HTTP response.
    const payloads = [...everythingShown(), typo.json, alias.json].filter(Boolean);
    expect(payloads.length).toBeGreaterThan(8);
    expect(problemsIn(payloads)).toEqual([]);
  });
});
