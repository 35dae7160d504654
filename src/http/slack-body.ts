import type { IncomingMessage } from 'node:http';
import type { SignatureCheck } from './signature.js';

/**
 * The largest request body accepted on /slack/events: 512 KiB.
 *
 * Slack's largest real payload for this app is a `block_actions` click on a message of 50 section blocks of 3,000
 * characters each (Block Kit's maximum), sent back in the form-encoded `payload=` JSON. Built as Slack sends it, with
 * mrkdwn like the bot's own (mentions, markup, an accented name, a date token), it measures 211,930 bytes
 * (test/http/body-limit.test.ts); 512 KiB leaves 2.4 times that. Bolt's default (10 MB) would let 50 unsigned
 * requests hold half a gigabyte.
 */
export const BODY_LIMIT_BYTES = 512 * 1024;

export type BodyOutcome =
  | { kind: 'signed'; rawBody: Buffer }
  | { kind: 'bad-signature' }
  | { kind: 'too-large' }
  | { kind: 'aborted' };

/**
 * Reads a request body, counting bytes as they arrive (chunked bodies too) and feeding the signature check, so that
 * nothing is parsed before the signature matches and no more than `limit` bytes are ever held.
 */
export function readSignedBody(req: IncomingMessage, check: SignatureCheck, limit: number): Promise<BodyOutcome> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let settled = false;
    const settle = (outcome: BodyOutcome) => {
      if (settled) return;
      settled = true;
      req.off('data', onData);
      chunks.length = 0;
      resolve(outcome);
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        settle({ kind: 'too-large' });
        return;
      }
      check.update(chunk);
      chunks.push(chunk);
    };
    req.on('data', onData);
    req.once('end', () => {
      if (settled) return;
      const rawBody = Buffer.concat(chunks, size);
      settle(check.matches() ? { kind: 'signed', rawBody } : { kind: 'bad-signature' });
    });
    req.once('error', () => settle({ kind: 'aborted' }));
    req.once('close', () => settle({ kind: 'aborted' }));
  });
}

/** The declared length, when it is one; a body declared larger than the limit is refused without reading it. */
export function declaredLength(req: IncomingMessage): number | undefined {
  const header = req.headers['content-length'];
  return header !== undefined && /^[0-9]+$/.test(header) ? Number(header) : undefined;
}
