import { afterEach, describe, expect, it } from 'vitest';
import { ACTION, VIEW } from '../../src/slack/ids.js';
import {
  ALICE,
  ALICE_IN_SLACK,
  ANN,
  BOB,
  DAVE,
  eventually,
  Harness,
  LEAD,
  STRANGER,
  TEAM_CHANNEL,
  WABA_ID,
} from '../support/harness.js';
import { visibleText } from '../support/message-text.js';

let h: Harness;

afterEach(async () => {
  await h?.stop();
});

/** Runs `/waba text` as `userId` and returns the reply it got (in the ack or on the response URL). */
async function ask(text: string, userId = LEAD): Promise<string> {
  const sent = await h.command(text, userId);
  if (sent.json) return visibleText(sent.json);
  return visibleText(await eventually(() => h.responses(sent.responseId)[0]));
}

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
    expect(visibleText(approval)).toContain(`<@${ALICE_IN_SLACK}> · *Alice Example*`);

    expect(await ask('grant @nobody MESSAGING')).toContain('I can’t find exactly one Slack person called `@nobody`');
  });

  it('lets only admins link and unlink, refuses ids Meta does not know, and unlinks', async () => {
    h = await Harness.start({ env: { ADMIN_IDS: ANN } });
    expect(await ask(`link <@${ALICE_IN_SLACK}> ${ALICE}`, BOB)).toContain('Only admins can link people');
    expect(await ask(`link <@${ALICE_IN_SLACK}> ${ALICE}`, STRANGER)).toContain(`The admins are <@${ANN}>`);
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
    expect(visibleText(approval)).toContain(`<@${ALICE_IN_SLACK}> · *Alice Example* (\`${ALICE}\`)`);
  });
});
