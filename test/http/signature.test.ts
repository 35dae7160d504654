import { describe, expect, it } from 'vitest';
import { sign } from '../../sandbox/slack/requests.js';
import { readSignatureClaim, SignatureCheck } from '../../src/http/signature.js';

const SECRET = 'unit-signing-secret';
const NOW_MS = 1_764_489_600_000;
const now = NOW_MS / 1000;

function verify(headers: Record<string, string>, body: string): boolean | string {
  const claim = readSignatureClaim(headers, NOW_MS);
  if ('problem' in claim) return claim.problem;
  const check = new SignatureCheck(SECRET, claim);
  // Fed in pieces, as the body arrives.
  for (let i = 0; i < body.length; i += 7) check.update(Buffer.from(body.slice(i, i + 7)));
  return check.matches();
}

describe('Slack request signatures', () => {
  const body = 'command=%2Fwaba&text=help';
  const signed = (timestamp: number, text = body) => ({
    'x-slack-request-timestamp': String(timestamp),
    'x-slack-signature': sign(SECRET, timestamp, text),
  });

  it('accepts the body Slack signed, fed in chunks, within five minutes either way', () => {
    expect(verify(signed(now), body)).toBe(true);
    expect(verify(signed(now - 299), body)).toBe(true);
    expect(verify(signed(now + 299), body)).toBe(true);
  });

  it('refuses another body, another secret, and stale or future timestamps', () => {
    expect(verify(signed(now), `${body}x`)).toBe(false);
    expect(
      verify({ 'x-slack-request-timestamp': String(now), 'x-slack-signature': sign('other', now, body) }, body),
    ).toBe(false);
    expect(verify(signed(now - 301), body)).toMatch(/five minutes/);
    expect(verify(signed(now + 301), body)).toMatch(/five minutes/);
  });

  it('names what is missing or malformed, before any body is read', () => {
    expect(verify({}, body)).toMatch(/X-Slack-Request-Timestamp/);
    expect(verify({ 'x-slack-request-timestamp': 'soon' }, body)).toMatch(/X-Slack-Request-Timestamp/);
    expect(verify({ 'x-slack-request-timestamp': String(now) }, body)).toMatch(/X-Slack-Signature/);
    for (const signature of ['v1=abc', 'v0=', `v0=${'g'.repeat(64)}`, `v0=${'a'.repeat(63)}`, `v0=${'A'.repeat(64)}`]) {
      expect(verify({ 'x-slack-request-timestamp': String(now), 'x-slack-signature': signature }, body)).toMatch(
        /X-Slack-Signature/,
      );
    }
  });
});
