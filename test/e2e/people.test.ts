import { afterEach, describe, expect, it } from 'vitest';
import { dmChannelOf } from '../../sandbox/slack/workspace.js';
import { slackDate } from '../../src/slack/format.js';
import { ACTION, VIEW } from '../../src/slack/ids.js';
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
  LEAD,
  STRANGER,
  TEAM_CHANNEL,
  WABA_ID,
} from '../support/harness.js';
import { visibleText } from '../support/message-text.js';
import { twoAccountPolicy, withSalesWaba } from '../support/two-accounts.js';

let h: Harness;

afterEach(async () => {
  await h?.stop();
});

const ask = (text: string, userId = LEAD) => h.answer(text, userId);

describe('people, not ids', () => {
  it('says how to link a person it does not know, and after an admin links them, takes requests by mention', async () => {
    h = await Harness.start();
    const unknown = await ask(`grant <@${ALICE_IN_SLACK}|alice> MESSAGING`);
    expect(unknown).toContain(`I don’t know which Meta business user <@${ALICE_IN_SLACK}> is.`);
    expect(unknown).toContain(`/waba link <@${ALICE_IN_SLACK}> &lt;meta-user-id&gt;`);
    expect(h.approvalMessages()).toEqual([]);

    expect(await ask(`link <@${ALICE_IN_SLACK}|alice> ${ALICE}`, ANN)).toContain(
      `<@${ALICE_IN_SLACK}> is now Meta business user \`${ALICE}\``,
    );

    // The user's edge carries no name: the approval shows Meta's name once the bot has read the roster.
    await ask('list');
    await ask(`grant <@${ALICE_IN_SLACK}|Alice Example> MESSAGING because covering support`);
    const approval = await eventually(() => h.approvalMessages()[0]);
    expect(visibleText(approval)).toContain(`<@${ALICE_IN_SLACK}> · *Alice Example* (\`${ALICE}\`)`);
    await h.click(approval, ACTION.approve, BOB);
    await eventually(() => h.graph.writes().length === 1);
    expect(h.graph.tasksOf(WABA_ID, ALICE)).toEqual(['MANAGE', 'MESSAGING']);
  });

  it('finds a person typed as @name, and shows a linked person by name when asked by Meta id', async () => {
    h = await Harness.start();
    await ask(`link @alice ${ALICE}`, ANN);
    expect(await ask('accounts @alice')).toContain(`WhatsApp Business Accounts of \`${ALICE}\``);
    await ask(`revoke ${ALICE} because left the team`);
    const approval = await eventually(() => h.approvalMessages()[0]);
    expect(visibleText(approval)).toContain(`<@${ALICE_IN_SLACK}> · \`${ALICE}\``);

    expect(await ask('grant @nobody MESSAGING')).toContain('I can’t find exactly one Slack person called `@nobody`');
  });

  it('lets only admins link and unlink, refuses ids Meta does not know, and unlinks', async () => {
    h = await Harness.start({ env: { ADMIN_IDS: ANN } });
    expect(await ask(`link <@${ALICE_IN_SLACK}> ${ALICE}`, BOB)).toContain('Only the bot’s admins');
    expect(await ask(`link <@${ALICE_IN_SLACK}> ${ALICE}`, STRANGER)).toContain(`Ask one of them: <@${ANN}>`);
    expect(await ask(`link <@${ALICE_IN_SLACK}> 399999999999999`, ANN)).toContain('Meta does not know a user');

    await ask(`link <@${ALICE_IN_SLACK}> ${ALICE}`, ANN);
    expect(await ask(`link <@${ALICE_IN_SLACK}> ${DAVE}`, ANN)).toContain(`(was \`${ALICE}\`)`);
    expect(await ask(`unlink <@${ALICE_IN_SLACK}>`, ANN)).toContain(
      `Unlinked <@${ALICE_IN_SLACK}> from Meta user \`${DAVE}\``,
    );
    expect(await ask(`unlink <@${ALICE_IN_SLACK}>`, ANN)).toContain('is not linked to a Meta user');
    expect(await ask(`grant <@${ALICE_IN_SLACK}> MESSAGING`)).toContain('I don’t know which Meta business user');
    expect(h.slack.messagesIn(TEAM_CHANNEL)).toEqual([]);
  });
});

describe('admins and who-is-who on approval messages', () => {
  /** On the support WABA, with a name that tries to notify everyone. */
  const EVE = '300000000000003';

  /** Ann is the only global admin; Bob approves support and administers sales only; Carol approves sales by DM. */
  async function startWithAdmins(): Promise<void> {
    const graph = withSalesWaba()
      .addUser({ id: EVE, name: '<!channel> Eve & <https://evil.example|co>', user_type: 'BUSINESS_USER' })
      .assign(WABA_ID, EVE, ['MESSAGING']);
    const policy = twoAccountPolicy({
      admins: [ANN],
      support: { approvers: [ANN, BOB] },
      sales: { approvers: [CAROL], admins: [BOB] },
      people: { [CAROL]: DAVE },
    });
    // No approval channel to fall back on: sales, which names none, asks its approver by DM.
    h = await Harness.startWithPolicy(policy, { graph, env: { APPROVAL_CHANNEL_ID: undefined } });
  }

  /** The whole ephemeral reply to a command. */
  async function reply(text: string, userId: string): Promise<Record<string, unknown>> {
    const sent = await h.command(text, userId);
    return sent.json ?? (await eventually(() => h.responses(sent.responseId)[0]));
  }

  it('lets only admins link, audits and announces each change, and shows who linked the user to approvers', async () => {
    await startWithAdmins();
    const history = () => h.bot!.store.directory.linkAuditOf({ slackId: ALICE_IN_SLACK });

    // An approver of another account who administers only sales, an approver of sales, a stranger: refused in
    // private, told who can.
    for (const outsider of [BOB, CAROL, STRANGER]) {
      const refused = await reply(`link <@${ALICE_IN_SLACK}> ${ALICE}`, outsider);
      expect(refused.response_type).toBe('ephemeral');
      expect(visibleText(refused)).toContain('Only the bot’s admins (or an admin of every account) can link people');
      expect(visibleText(refused)).toContain(`Ask one of them: <@${ANN}>.`);
    }
    // Nobody links themselves, admins included.
    const self = visibleText(await reply(`link <@${ANN}> ${DAVE}`, ANN));
    expect(self).toContain('Nobody links or unlinks themselves');
    expect(self).toContain('No one else can');
    expect(await history()).toEqual([]);
    expect(h.slack.messagesIn(APPROVAL_CHANNEL)).toEqual([]);

    expect(visibleText(await reply(`link <@${ALICE_IN_SLACK}> ${ALICE}`, ANN))).toContain(
      `<@${ALICE_IN_SLACK}> is now Meta business user \`${ALICE}\``,
    );
    const [entry] = await history();
    expect(entry).toEqual({
      at: expect.any(String),
      actor: ANN,
      event: 'linked',
      slackId: ALICE_IN_SLACK,
      after: ALICE,
      via: '/waba link',
    });
    const announcement = `🔗 <@${ANN}> linked <@${ALICE_IN_SLACK}> to Meta user \`${ALICE}\` (was not linked).`;
    // Support's approvers in their channel; sales has no channel, so its approver by DM.
    expect(h.linkAnnouncementsIn(APPROVAL_CHANNEL)).toEqual([announcement]);
    expect(h.linkAnnouncementsIn(dmChannelOf(CAROL))).toEqual([announcement]);
    const logged = h.logs
      .map((line) => JSON.parse(line))
      .find((line) => line.msg === `person ${ALICE_IN_SLACK} linked`);
    expect(logged).toMatchObject({ level: 30, audit: entry });

    // Meta's name for a user comes from the last roster read (the user's own edge has none).
    await reply('list', LEAD);
    await reply(`grant <@${ALICE_IN_SLACK}> MESSAGING`, LEAD);
    const approval = visibleText(await eventually(() => h.approvalMessages()[0]));
    expect(approval).toContain(`<@${ALICE_IN_SLACK}> · *Alice Example* (\`${ALICE}\`)`);
    expect(approval).toContain(`_Linked by <@${ANN}> ${slackDate(entry!.at)}_`);

    // People the policy file names say so.
    await reply(`grant <@${CAROL}> MESSAGING`, LEAD);
    expect(visibleText(await eventually(() => h.approvalMessages()[1]))).toContain('_Listed in the policy file_');
  });

  it('escapes the Meta name, and keeps a link when Slack cannot take the announcement', async () => {
    await startWithAdmins();
    await reply(`link <@${STRANGER}> ${EVE}`, ANN);
    await reply('list', LEAD);
    await reply(`grant <@${STRANGER}> VIEW_TEMPLATES`, LEAD);
    const approval = visibleText(await eventually(() => h.approvalMessages()[0]));
    expect(approval).toContain('*&lt;!channel&gt; Eve &amp; &lt;https://evil.example|co&gt;*');
    expect(approval).not.toContain('<!channel>');

    // The bot was removed from the approval channel: the change stands, Carol still hears, the failure is logged.
    h.slack.closedChannels.add(APPROVAL_CHANNEL);
    expect(visibleText(await reply(`link <@${STRANGER}> ${ALICE}`, ANN))).toContain(`(was \`${EVE}\`)`);
    expect(await h.bot!.store.directory.linkOf(STRANGER)).toMatchObject({ metaUserId: ALICE, by: ANN });
    expect(h.linkAnnouncementsIn(dmChannelOf(CAROL))).toContain(
      `🔗 <@${ANN}> linked <@${STRANGER}> to Meta user \`${ALICE}\` (was \`${EVE}\`).`,
    );
    await eventually(() => h.logs.some((line) => line.includes('could not announce a link change')));

    h.slack.closedChannels.delete(APPROVAL_CHANNEL);
    await reply(`unlink <@${STRANGER}>`, ANN);
    expect(h.linkAnnouncementsIn(APPROVAL_CHANNEL).at(-1)).toBe(
      `🔗 <@${ANN}> unlinked <@${STRANGER}> from Meta user \`${ALICE}\`.`,
    );
    expect(
      (await h.bot!.store.directory.linkAuditOf({ slackId: STRANGER })).map((entry) => [entry.event, entry.after]),
    ).toEqual([
      ['linked', EVE],
      ['linked', ALICE],
      ['unlinked', undefined],
    ]);
  });
});

describe('the request form', () => {
  const formValues = (fields: { person?: string; user?: string }) => ({
    kind: { kind: { type: 'radio_buttons', selected_option: { value: 'grant' } } },
    person: { person: { type: 'users_select', selected_user: fields.person ?? null } },
    user: { user: { type: 'plain_text_input', value: fields.user ?? null } },
    tasks: { tasks: { type: 'multi_static_select', selected_options: [{ value: 'MESSAGING' }] } },
  });

  it('takes a linked person, and says what is missing or unknown next to the field', async () => {
    h = await Harness.start();
    await h.command('');
    const opened = await eventually(() => h.slack.callsOf('views.open')[0]);
    const { private_metadata: metadata } = opened.args.view as { private_metadata: string };
    const submit = async (fields: { person?: string; user?: string }) =>
      (await h.submitView(VIEW.compose, LEAD, metadata, formValues(fields))).json;

    expect(await submit({})).toEqual({
      response_action: 'errors',
      errors: { person: 'Choose a person, or enter their Meta id below.' },
    });
    expect(await submit({ person: ALICE_IN_SLACK })).toMatchObject({
      errors: { person: expect.stringContaining('Nobody has linked this person') },
    });
    expect(await submit({ person: ALICE_IN_SLACK, user: ALICE })).toMatchObject({
      errors: { user: 'Choose a person or enter an id, not both.' },
    });
    expect(h.approvalMessages()).toEqual([]);

    await ask(`link <@${ALICE_IN_SLACK}> ${ALICE}`, ANN);
    await submit({ person: ALICE_IN_SLACK });
    const approval = await eventually(() => h.approvalMessages()[0]);
    expect(visibleText(approval)).toContain(`<@${ALICE_IN_SLACK}> · \`${ALICE}\``);
  });
});
