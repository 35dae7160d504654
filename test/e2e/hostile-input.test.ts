import { afterEach, describe, expect, it } from 'vitest';
import { Harness, LEAD } from '../support/harness.js';

let h: Harness;

afterEach(async () => {
  await h?.stop();
});

describe('hostile input to the newer commands', () => {
  it('`/waba who` with a word that is a property of every object is a clear refusal, not a failure', async () => {
    h = await Harness.start();
    for (const word of ['constructor', 'toString', '__proto__', 'valueOf']) {
      const reply = await h.answer(`who ${word}`, LEAD);
      expect(reply).toContain('year-month-day');
      expect(reply).not.toContain('went wrong');
    }
  });
});
