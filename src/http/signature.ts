import { createHmac, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';

/** Slack's replay window: a request signed more than five minutes from now is refused. */
export const MAX_CLOCK_SKEW_S = 5 * 60;

const SIGNATURE = /^v0=([0-9a-f]{64})$/;

/** What the signature headers promise, checked for shape and freshness before a byte of the body is read. */
export interface SignatureClaim {
  timestamp: string;
  digest: Buffer;
}

/**
 * Reads Slack's v0 signature headers. Answers the claim, or why the request cannot be from Slack: missing or
 * malformed headers, or a timestamp outside the replay window.
 * @see https://api.slack.com/authentication/verifying-requests-from-slack
 */
export function readSignatureClaim(
  headers: IncomingHttpHeaders,
  nowMs = Date.now(),
): SignatureClaim | { problem: string } {
  const timestamp = headers['x-slack-request-timestamp'];
  const signature = headers['x-slack-signature'];
  if (typeof timestamp !== 'string' || !/^[0-9]{1,12}$/.test(timestamp)) {
    return { problem: 'missing or malformed X-Slack-Request-Timestamp' };
  }
  if (Math.abs(Math.floor(nowMs / 1000) - Number(timestamp)) > MAX_CLOCK_SKEW_S) {
    return { problem: 'X-Slack-Request-Timestamp is more than five minutes away' };
  }
  const match = typeof signature === 'string' ? SIGNATURE.exec(signature) : null;
  if (!match) return { problem: 'missing or malformed X-Slack-Signature' };
  return { timestamp, digest: Buffer.from(match[1]!, 'hex') };
}

/** An HMAC over `v0:{timestamp}:{body}` fed chunk by chunk, so the body is checked as it arrives. */
export class SignatureCheck {
  private readonly hmac;

  constructor(
    secret: string,
    private readonly claim: SignatureClaim,
  ) {
    this.hmac = createHmac('sha256', secret).update(`v0:${claim.timestamp}:`);
  }

  update(chunk: Buffer): void {
    this.hmac.update(chunk);
  }

  /** Whether the body seen so far is what Slack signed; compared in constant time. */
  matches(): boolean {
    return timingSafeEqual(this.hmac.digest(), this.claim.digest);
  }
}
