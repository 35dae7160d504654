import { afterEach, describe, expect, it } from 'vitest';
import { GLOBAL_CHAIN, parseRecord } from '../../src/audit/chain.js';
import { eventually, Harness, LEAD } from '../support/harness.js';

let h: Harness;

afterEach(async () => {
  await h?.stop();
});

const dm = (userId: string) => `D${userId.slice(1)}`;

describe('hostile input to the newer commands', () => {
  it('`/waba who` with a word that is a property of every object is a clear refusal, not a failure', async () => {
    h = await Harness.start();
    for (const word of ['constructor', 'toString', '__proto__', 'valueOf']) {
      const reply = await h.answer(`who ${word}`, LEAD);
      expect(reply).toContain('year-month-day');
      expect(reply).not.toContain('went wrong');
    }
  });

  it('`/waba audit since` a span longer than time itself exports everything, and the export is in the chain', async () => {
    h = await Harness.start({ env: { ADMIN_IDS: LEAD } });
    const reply = await h.answer('audit since 1000000000d', LEAD);
    expect(reply).toContain('Sent the whole audit trail');
    const message = await eventually(() => h.slack.messagesIn(dm(LEAD)).find((posted) => posted.files?.length));
    expect(message.text).not.toContain('Invalid Date');
    const trail = h.bot!.store.auditTrail;
    const head = await trail.head(GLOBAL_CHAIN);
    const [last] = await trail.lines(GLOBAL_CHAIN, head!.seq - 1, 1);
    expect(parseRecord(last!.text)).toMatchObject({ actor: LEAD, event: 'audit-exported' });
  });
});
