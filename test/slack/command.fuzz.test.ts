import type { webApi } from '@slack/bolt';
import fc from 'fast-check';
import Keyv from 'keyv';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Directory } from '../../src/access/directory.js';
import { DriftService } from '../../src/access/drift-service.js';
import { AccessService } from '../../src/access/service.js';
import { GraphClient } from '../../src/graph/client.js';
import { wabaCommand } from '../../src/slack/listeners/command.js';
import { SlackPeople } from '../../src/slack/people.js';
import { KeyvDirectoryStore } from '../../src/store/directory.js';
import { KeyvDriftStore } from '../../src/store/drift.js';
import { SnapshotIdIndex } from '../../src/store/id-index.js';
import { InProcessLocker } from '../../src/store/locks.js';
import { MemoryRecords } from '../../src/store/request-records.js';
import { KeyvRequestRepository } from '../../src/store/requests.js';
import { commandText, FUZZ_RUNS } from '../support/fuzz.js';
import { APP_SECRET, defaultGraph, META_TOKEN } from '../support/harness.js';
import { limitProblems, mrkdwnProblems, textsOf } from '../support/mrkdwn-check.js';
import { requestProblems } from '../support/openapi.js';
import { oneAccount, quietNotifier } from '../support/service-fixture.js';

describe('/waba handler on random text', () => {
  const graph = defaultGraph();
  let client: GraphClient;
  let handler: ReturnType<typeof wabaCommand>;

  beforeAll(async () => {
    await graph.start();
    client = new GraphClient({ baseUrl: graph.url, accessToken: META_TOKEN, appSecret: APP_SECRET });
    const locker = new InProcessLocker();
    const accounts = oneAccount(client, { approverIds: ['UANN'] });
    const repository = new KeyvRequestRepository(new Keyv());
    const service = new AccessService({
      repository,
      locker,
      accounts,
      notifier: quietNotifier,
      requestTtlMs: 3_600_000,
    });
    const keyv = new Keyv();
    const drift = new DriftService({
      store: new KeyvDriftStore(keyv, new MemoryRecords(), (name) => new SnapshotIdIndex(keyv, name)),
      accounts,
      repository,
      locker,
      notifier: { post: async () => [], update: async () => undefined },
      requestNotifier: quietNotifier,
      historyDays: 400,
    });
    const directory = new Directory({
      store: new KeyvDirectoryStore(new Keyv()),
      isAdmin: async (slackId) => slackId === 'UANN',
      metaUserExists: (metaUserId) => accounts.default.waba.userExists(metaUserId),
    });
    // Nobody in this workspace: every `@name` is unknown, and says so.
    const people = new SlackPeople({ users: { list: async () => ({ members: [] }) } } as unknown as webApi.WebClient);
    handler = wabaCommand({ service, drift, accounts, directory, people });
  });

  afterAll(async () => {
    await client.close();
    await graph.stop();
  });

  /** Mentions the bot may make: the requester, the approvers, and the people the fuzz words mention. */
  const ALLOWED = { users: ['ULEAD', 'UANN', 'UBOB', 'U123', 'UALICE', 'W9'] };

  it('answers every text exactly once, escaped and within limits, and sends Graph only valid calls', async () => {
    await fc.assert(
      fc.asyncProperty(commandText, async (text) => {
        const acks: unknown[] = [];
        const replies: unknown[] = [];
        const views: unknown[] = [];
        const args = {
          command: { text, user_id: 'ULEAD', channel_id: 'CTEAM', trigger_id: 't' },
          ack: async (body?: unknown) => void acks.push(body),
          respond: async (body: unknown) => void replies.push(body),
          client: { views: { open: async (view: unknown) => void views.push(view) } },
          logger: { warn: () => undefined },
        };
        await handler(args as unknown as Parameters<typeof handler>[0]);
        expect(acks).toHaveLength(1);
        const answers = (acks[0] === undefined ? 0 : 1) + replies.length + views.length;
        expect(answers).toBe(1);
        for (const answer of [...acks, ...replies]) {
          if (answer === undefined) continue;
          const problems = textsOf(answer).mrkdwn.flatMap((text) => mrkdwnProblems(text, ALLOWED));
          expect([...problems, ...limitProblems(answer)]).toEqual([]);
        }
      }),
      {
        numRuns: FUZZ_RUNS,
        // Valid commands among the random ones, so the path to Graph is always exercised.
        examples: [
          ['list'],
          ['grant 300000000000002 messaging for 1h'],
          ['accounts 300000000000001'],
          ['revoke 300000000000001'],
        ],
      },
    );
    expect(graph.calls.length).toBeGreaterThan(0);
    for (const call of graph.calls) expect(requestProblems(call)).toEqual([]);
    expect(graph.writes()).toEqual([]);
  });
});
