import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import { parse } from 'node:querystring';
import { countUntilAnswered } from './listeners/yield.js';

/** Slack's own limit on request bodies is far below this; Bolt uses the same default. */
const BODY_LIMIT = 4 * 1024 * 1024;

/**
 * Sits in front of Bolt's HTTP listener. Bolt reads fields of the parsed body outside its own error handling, so a
 * body that parses to `null` or a primitive (e.g. `payload=null`) would become an unhandled rejection and a request
 * left hanging. Here such bodies get a 400 at once; everything else reaches Bolt, already buffered, unchanged.
 * Every request is counted until answered, so work after an ack lets waiting acks go first (see yield.ts).
 */
export function guardSlackRequests(listener: RequestListener): RequestListener {
  return (req, res) => {
    countUntilAnswered(res);
    if (req.method !== 'POST') {
      listener(req, res);
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > BODY_LIMIT) {
        reply(res, 413);
        req.destroy();
        return;
      }
      chunks.push(chunk);
    });
    req.on('error', () => reply(res, 400));
    req.on('end', () => {
      if (res.headersSent || size > BODY_LIMIT) return;
      const rawBody = Buffer.concat(chunks);
      if (!isObjectBody(rawBody.toString('utf8'), req.headers['content-type'])) {
        reply(res, 400);
        return;
      }
      // Bolt uses a request that already carries `rawBody` instead of reading the stream again.
      (req as IncomingMessage & { rawBody: Buffer }).rawBody = rawBody;
      listener(req, res);
    });
  };
}

function isObjectBody(text: string, contentType: string | undefined): boolean {
  try {
    if (contentType === 'application/x-www-form-urlencoded') {
      const { payload } = parse(text);
      if (Array.isArray(payload)) return false;
      return typeof payload !== 'string' || isObject(JSON.parse(payload));
    }
    return isObject(JSON.parse(text));
  } catch {
    // Not JSON: Bolt answers it with its own 400 (or 401 when unsigned).
    return true;
  }
}

function isObject(value: unknown): boolean {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function reply(res: ServerResponse, status: number): void {
  if (res.headersSent) return;
  res.writeHead(status).end();
}
