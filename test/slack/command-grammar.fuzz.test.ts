import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isTask, MAX_TASKS_PER_CALL } from '../../src/graph/tasks.js';
import { parseCommand } from '../../src/slack/command-grammar.js';
import type { UserRef } from '../../src/slack/commands.js';
import { commandText, FUZZ_RUNS } from '../support/fuzz.js';

/** A person or Meta user as the grammar hands it on: an id in its exact shape, or a plain name. */
function expectWellFormed(user: UserRef): void {
  if (user.kind === 'meta') expect(user.id).toMatch(/^[0-9]{1,32}$/);
  else if (user.kind === 'slack') expect(user.slackId).toMatch(/^[UW][A-Z0-9]+$/);
  else expect(user.name).toMatch(/^[a-z0-9][a-z0-9._-]{0,79}$/);
}

describe('parseCommand on random text', () => {
  it('never throws, and every result is either well-formed or a clear explanation', () => {
    fc.assert(
      fc.property(commandText, (text) => {
        const result = parseCommand(text);
        if ('account' in result) expect(result.account).toMatch(/^[a-z0-9][a-z0-9_-]{0,31}$/);
        switch (result.kind) {
          case 'grant':
            expectWellFormed(result.user);
            expect(result.tasks.length).toBeGreaterThan(0);
            expect(result.tasks.length).toBeLessThanOrEqual(MAX_TASKS_PER_CALL);
            expect(result.tasks.every(isTask)).toBe(true);
            expect(new Set(result.tasks).size).toBe(result.tasks.length);
            if (typeof result.duration === 'number') expect(result.duration).toBeGreaterThan(0);
            break;
          case 'revoke':
          case 'accounts':
          case 'history':
            expectWellFormed(result.user);
            break;
          case 'who':
            if (result.date.kind === 'date') expect(result.date.day).toMatch(/^\d{4}-\d{2}-\d{2}$/);
            else expect(result.date.days).toBeGreaterThanOrEqual(0);
            break;
          case 'audit':
            if (result.sinceMs !== undefined) expect(result.sinceMs).toBeGreaterThan(0);
            break;
          case 'link':
            expectWellFormed(result.person);
            expect(result.metaUserId).toMatch(/^[0-9]{1,32}$/);
            break;
          case 'unlink':
            expectWellFormed(result.person);
            break;
          case 'invalid':
            expect(result.problem.length).toBeGreaterThan(5);
            expect(result.problem.length).toBeLessThan(300);
            expect(result.hint.length).toBeGreaterThan(5);
            break;
          default:
            expect(['compose', 'help', 'list', 'active', 'requests', 'account-list', 'review']).toContain(result.kind);
        }
      }),
      { numRuns: FUZZ_RUNS },
    );
  });
});
