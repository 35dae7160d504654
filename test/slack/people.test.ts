import { webApi } from '@slack/bolt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SlackEmulator } from '../../sandbox/slack/emulator.js';
import { SlackPeople } from '../../src/slack/people.js';

describe('SlackPeople', () => {
  const slack = new SlackEmulator({
    people: [
      { id: 'UALICE', name: 'alice', realName: 'Alice Example', email: 'Alice@Example.test' },
      { id: 'UBOB', name: 'bob', realName: 'Bob Example' },
      { id: 'UBOB2', name: 'bob', realName: 'Another Bob' },
    ],
  });
  let client: webApi.WebClient;
  let now = 0;

  beforeAll(async () => {
    await slack.start();
    client = new webApi.WebClient('xoxb-test', { slackApiUrl: slack.apiUrl, retryConfig: { retries: 0 } });
  });

  afterAll(async () => {
    await slack.stop();
  });

  it('finds a person by name only when exactly one has it', async () => {
    const people = new SlackPeople(client);
    expect(await people.idOf('ALICE')).toBe('UALICE');
    expect(await people.idOf('bob')).toBeUndefined();
    expect(await people.idOf('nobody')).toBeUndefined();
  });

  it('finds emails both ways, and asks Slack again only once the cache has aged', async () => {
    const people = new SlackPeople(client, 60_000, () => now);
    expect(await people.emailOf('UALICE')).toBe('alice@example.test');
    expect(await people.emailOf('UBOB')).toBeUndefined();
    expect(await people.emailOf('UNOBODY')).toBeUndefined();
    expect(await people.slackIdOf('ALICE@example.test')).toBe('UALICE');
    expect(await people.slackIdOf('carol@example.test')).toBeUndefined();

    const asked = () => slack.callsOf('users.info').length + slack.callsOf('users.lookupByEmail').length;
    const before = asked();
    await people.emailOf('UALICE');
    await people.slackIdOf('alice@example.test');
    expect(asked()).toBe(before);
    now += 60_000;
    await people.emailOf('UALICE');
    expect(asked()).toBe(before + 1);
  });
});
