import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { GLOBAL_CHAIN, parseRecord } from '../../src/audit/chain.js';
import { verifyTrail } from '../../src/audit/verify.js';
import { ACTION } from '../../src/slack/ids.js';
import { ANN, BOB, CAROL, DAVE, eventually, Harness, LEAD, STRANGER, WABA_ID } from '../support/harness.js';
import { visibleText } from '../support/message-text.js';
import { twoAccountPolicy, withSalesWaba } from '../support/two-accounts.js';

const dm = (userId: string) => `D${userId.slice(1)}`;

/** Carol is the bot's admin; Bob administers support only. */
const POLICY = twoAccountPolicy({
  admins: [CAROL],
  support: { approvers: [ANN, BOB], admins: [BOB] },
  sales: { approvers: [ANN], approval_channel: 'CSALESAPPROVALS' },
});

let h: Harness;

beforeEach(async () => {
  h = await Harness.startWithPolicy(POLICY, { graph: withSalesWaba() });
  // Something to export: a grant filed and approved on support.
  await h.command(`grant ${DAVE} MESSAGING`);
  const approval = await eventually(() => h.approvalMessages()[0]);
  await h.click(approval, ACTION.approve, ANN);
  await eventually(() => h.approvalMessages()[0]!.updates > 0 && h.graph.writes().length === 1);
});

afterEach(async () => {
  await h.stop();
});

/** The CSV the bot put in someone's DM, with the message it came with. */
async function fileIn(userId: string) {
  const message = await eventually(() => h.slack.messagesIn(dm(userId)).find((posted) => posted.files?.length));
  const [file] = message.files!;
  return { message, file: file!, csv: h.slack.fileContent(file!.id)!.toString('utf8') };
}

describe('/waba audit', () => {
  it('sends the bot’s admin the whole trail as a CSV in their DM, through the three-step upload, and audits it', async () => {
    const reply = await h.answer('audit', CAROL);
    expect(reply).toMatch(
      /Sent the whole audit trail \(every account, and link changes\) to your DM as `waba-audit-all-\d{8}-\d{4}\.csv`: \d+ entries/,
    );
    expect(reply).toContain('This export is itself recorded in the audit trail.');

    const upload = h.slack.callsOf('files.getUploadURLExternal');
    expect(upload).toHaveLength(1);
    expect(h.slack.callsOf('conversations.open')[0]!.args).toMatchObject({ users: CAROL });
    expect(h.slack.callsOf('files.completeUploadExternal')[0]!.args).toMatchObject({ channel_id: dm(CAROL) });

    const { message, file, csv } = await fileIn(CAROL);
    expect(file.name).toMatch(/^waba-audit-all-\d{8}-\d{4}\.csv$/);
    expect(Number(upload[0]!.args.length)).toBe(Buffer.byteLength(csv));
    expect(message.text).toContain('entries, as CSV');
    const rows = csv.split('\r\n').filter(Boolean);
    expect(rows[0]).toMatch(/^chain,seq,at,account,actor,event,request_id,/);
    const events = rows.slice(1).map((row) => row.split(',').slice(0, 6).join(','));
    expect(events).toEqual(
      expect.arrayContaining([
        expect.stringMatching(new RegExp(`^${WABA_ID},1,.*,support,${LEAD},pending$`)),
        expect.stringMatching(new RegExp(`^${WABA_ID},\\d+,.*,support,${ANN},approved$`)),
        expect.stringMatching(new RegExp(`^${WABA_ID},\\d+,.*,support,system,succeeded$`)),
      ]),
    );

    // The export is the newest entry of the global chain, and the trail still holds.
    const trail = h.bot!.store.auditTrail;
    const head = await trail.head(GLOBAL_CHAIN);
    const [last] = await trail.lines(GLOBAL_CHAIN, head!.seq - 1, 1);
    expect(parseRecord(last!.text)).toMatchObject({
      actor: CAROL,
      event: 'audit-exported',
      detail: `CSV by Slack DM, ${rows.length - 1} entries`,
    });
    expect((await verifyTrail(trail)).every((report) => !report.broken)).toBe(true);
  });

  it('lets an account’s admin export that account since a while, and only that', async () => {
    const reply = await h.answer('audit on support since 1d', BOB);
    expect(reply).toContain('Sent the audit trail of `support` to your DM');
    const { csv, message } = await fileIn(BOB);
    expect(message.text).toContain('since <!date^');
    const chains = new Set(
      csv
        .split('\r\n')
        .slice(1)
        .filter(Boolean)
        .map((row) => row.split(',')[0]),
    );
    expect([...chains]).toEqual([WABA_ID]);
    const head = await h.bot!.store.auditTrail.head(WABA_ID);
    const [last] = await h.bot!.store.auditTrail.lines(WABA_ID, head!.seq - 1, 1);
    expect(parseRecord(last!.text)).toMatchObject({ actor: BOB, event: 'audit-exported', account: 'support' });
  });

  it('refuses everyone else, names who can, and uploads nothing', async () => {
    const refusals: Array<[string, string, RegExp]> = [
      [
        'audit',
        STRANGER,
        /Only the bot’s admins \(or an admin of every account\) can export the whole audit trail; nothing was exported\..*<@UCAROL>/,
      ],
      ['audit', LEAD, /can export the whole audit trail/],
      // An account's admin: not the whole trail, nor another account's.
      [
        'audit',
        BOB,
        /Ask one of them: <@UCAROL>\. For one account you administer: `\/waba audit \[on &lt;account&gt;\] \[since &lt;30d&gt;\]`/,
      ],
      [
        'audit on sales',
        BOB,
        /Only the bot’s admins and the admins of `sales` can export its audit trail; nothing was exported\./,
      ],
      // An approver is not an admin.
      ['audit on support', ANN, /admins of `support`.*Ask one of them: <@UCAROL>, <@UBOB>\./],
    ];
    for (const [text, userId, said] of refusals)
      expect(await h.answer(text, userId), `${userId}: ${text}`).toMatch(said);
    expect(h.slack.callsOf('files.getUploadURLExternal')).toHaveLength(0);
    expect(h.slack.callsOf('conversations.open')).toHaveLength(0);
  });

  it('says what was wrong with the command, and what to type instead', async () => {
    expect(await h.answer('audit since yesterday', CAROL)).toMatch(/`yesterday` is not a duration\..*`since 30d`/);
    expect(await h.answer('audit since', CAROL)).toMatch(/`since` needs a duration after it/);
    expect(await h.answer('audit everything', CAROL)).toMatch(
      /`audit` takes `on <account>` and `since <duration>`, nothing else/,
    );
    expect(await h.answer('audit on nowhere', CAROL)).toMatch(
      /There is no account called `nowhere`; nothing was done\..*Accounts: `support`, `sales`/s,
    );
    expect(h.slack.callsOf('files.getUploadURLExternal')).toHaveLength(0);
  });

  it('tells the admin when Slack will not take the file, and records no export', async () => {
    const before = await h.bot!.store.auditTrail.head(GLOBAL_CHAIN);
    h.slack.failNext('files.completeUploadExternal', 'not_in_channel');
    const reply = await h.answer('audit', CAROL);
    expect(reply).toContain('Slack did not take the file (`not_in_channel`); nothing was exported.');
    expect(reply).toContain('`files:write`');
    expect(await h.bot!.store.auditTrail.head(GLOBAL_CHAIN)).toEqual(before);
    // It works again once Slack does.
    expect(await h.answer('audit', CAROL)).toContain('Sent the whole audit trail');
    expect(visibleText((await fileIn(CAROL)).message)).toContain('as CSV');
  });
});
