import { describe, expect, it } from 'vitest';
import { GraphError } from '../src/graph/errors.js';
import { createLogger, scrub } from '../src/logger.js';

describe('scrub', () => {
  it('removes configured secrets, Slack tokens and access_token query values', () => {
    expect(scrub('token abc123secret here', ['abc123secret'])).toBe('token [redacted] here');
    expect(scrub('xoxb-1-2-abc and xapp-1-A-b', [])).toBe('[redacted] and [redacted]');
    expect(scrub('https://g/x?access_token=EAAB&after=1', [])).toBe('https://g/x?access_token=[redacted]&after=1');
  });
});

describe('createLogger', () => {
  it('writes JSON lines with secrets removed from fields, messages and errors', () => {
    const lines: string[] = [];
    const logger = createLogger({
      level: 'info',
      secrets: ['s3cr3t-value'],
      destination: { write: (line) => void lines.push(line) },
    });
    logger.info(
      { token: 'xoxb-abc', nested: { authorization: 'Bearer x' }, note: 'has s3cr3t-value' },
      'msg s3cr3t-value',
    );
    logger.warn({ err: new GraphError({ message: 'bad s3cr3t-value', category: 'auth', code: 190 }) }, 'failed');
    const [first, second] = lines.map((line) => JSON.parse(line));
    expect(first).toMatchObject({
      token: '[redacted]',
      nested: { authorization: '[redacted]' },
      note: 'has [redacted]',
      msg: 'msg [redacted]',
    });
    expect(second.err).toMatchObject({ type: 'GraphError', message: 'bad [redacted]', code: 190 });
    expect(lines.join('')).not.toContain('s3cr3t-value');
  });

  it('redacts at any depth: secret values, token-shaped text and secret-named fields ten levels down', () => {
    const lines: string[] = [];
    const logger = createLogger({
      level: 'info',
      secrets: ['s3cr3t-value'],
      destination: { write: (line) => void lines.push(line) },
    });
    let deep: Record<string, unknown> = {
      note: 'has s3cr3t-value',
      slack: 'xoxb-1-2-deep',
      accessToken: 'EAAnotConfigured',
      headers: { 'X-Slack-Signature': 'v0=abc' },
    };
    for (let level = 0; level < 10; level += 1) deep = { level, child: deep, list: [deep] };
    logger.info({ deep }, 'deep');
    const text = lines.join('');
    for (const secret of ['s3cr3t-value', 'xoxb-1-2-deep', 'EAAnotConfigured', 'v0=abc']) {
      expect(text).not.toContain(secret);
    }
    // Ten levels down, the structure is still there, only cleaned.
    let logged = JSON.parse(lines[0]!).deep;
    for (let level = 9; level >= 0; level -= 1) {
      expect(logged.level).toBe(level);
      logged = logged.child;
    }
    expect(logged).toMatchObject({ note: 'has [redacted]', slack: '[redacted]', accessToken: '[redacted]' });
  });

  it('logs a cycle as [Circular] and still redacts around it', () => {
    const lines: string[] = [];
    const logger = createLogger({
      level: 'info',
      secrets: ['s3cr3t-value'],
      destination: { write: (line) => void lines.push(line) },
    });
    const loop: Record<string, unknown> = { name: 'loop', note: 's3cr3t-value' };
    loop.self = loop;
    loop.inner = { back: loop, token: 'xoxb-9-cycle' };
    const error = new Error('failed with s3cr3t-value') as Error & { context?: unknown };
    error.context = loop;
    logger.error({ loop, err: error }, 'cycle');
    const logged = JSON.parse(lines[0]!);
    expect(logged.loop).toEqual({
      name: 'loop',
      note: '[redacted]',
      self: '[Circular]',
      inner: { back: '[Circular]', token: '[redacted]' },
    });
    expect(logged.err.message).toBe('failed with [redacted]');
    expect(lines[0]).not.toContain('s3cr3t-value');
    expect(lines[0]).not.toContain('xoxb-9-cycle');
  });
});
