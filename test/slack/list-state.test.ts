import { describe, expect, it } from 'vitest';
import { LIMITS } from '../../src/slack/limits.js';
import { decodeListState, encodeListState, type ListState } from '../../src/slack/list-state.js';

describe('list button state', () => {
  it.each<ListState>([
    { alias: 'support' },
    { alias: 'sales', filter: { kind: 'task', task: 'MESSAGING' }, cursor: { offset: 25, afterId: '300000000000001' } },
    { alias: 'sales', filter: { kind: 'user', userId: '300000000000001' }, person: 'UALICE' },
    { alias: 'support', filter: { kind: 'text', text: `"}{<>&${'x'.repeat(90)}` }, cursor: { offset: 9_975 } },
  ])('survives the round trip through a button, within Slack’s value limit: %o', (state) => {
    const value = encodeListState(state);
    expect(value.length).toBeLessThanOrEqual(LIMITS.buttonValue);
    expect(decodeListState(value)).toEqual(state);
  });

  it.each([
    undefined,
    '',
    'not json',
    '[]',
    '{"a":"../../etc"}',
    '{"a":"support","f":{"k":"t","v":"DROP_TABLES"}}',
    '{"a":"support","f":{"k":"u","v":"12; rm -rf"}}',
    `{"a":"support","f":{"k":"x","v":"${'x'.repeat(101)}"}}`,
    '{"a":"support","o":-1}',
    '{"a":"support","p":"<!channel>"}',
  ])('refuses a value the bot did not make: %s', (value) => {
    expect(decodeListState(value)).toBeUndefined();
  });
});
