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
});
