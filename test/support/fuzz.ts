import fc from 'fast-check';
import { TASKS } from '../../src/graph/tasks.js';

/** How many random cases each property runs: CI keeps it modest, `npm run bench` raises it to 100,000. */
export const FUZZ_RUNS = Number(process.env.FUZZ_RUNS ?? 5_000);

const word = fc.oneof(
  fc.constantFrom(
    'grant',
    'revoke',
    'list',
    'accounts',
    'help',
    'active',
    'requests',
    'link',
    'unlink',
    'history',
    'who',
    'today',
    'yesterday',
    '2026-11-01',
    '2026-02-30',
    'for',
    'because',
    'reason:',
    '--',
    'permanent',
    'on',
    'ON',
    'support',
    'Sales_2',
  ),
  fc.constantFrom(...TASKS, ...TASKS.map((task) => task.toLowerCase()), 'MESAGING', 'manage-templates', 'FULL'),
  fc.stringMatching(/^[0-9]{1,25}$/),
  fc.stringMatching(/^[0-9]{1,3}[smhdwx]$/),
  fc.constantFrom(
    '<@U123|alice>',
    '<@UALICE|Alice B. Example>',
    '<@W9>',
    '@bob',
    '@',
    '<!channel>',
    '"quoted',
    'reason"',
    '`',
    '&amp;',
    '\u0000',
    '\u202e',
  ),
  fc.string({ maxLength: 12 }),
  fc.string({ unit: 'grapheme', maxLength: 8 }),
);

/** Command texts: mostly plausible token soup, some entirely random text. */
export const commandText = fc.oneof(
  {
    weight: 4,
    arbitrary: fc
      .array(word, { maxLength: 10 })
      .chain((words) => fc.constantFrom(...[' ', ',', '  ', '\t', ', '].map((sep) => words.join(sep)))),
  },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 200 }) },
);
