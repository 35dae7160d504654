import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { performance } from 'node:perf_hooks';
import { parse } from 'node:querystring';
import type { Logger } from '../logger.js';
import { countUntilAnswered, noteConnection } from '../slack/listeners/yield.js';
import type { VerifiedSlackRequest } from '../slack/receiver.js';
import { bearerMatches } from './bearer.js';
import { readSignatureClaim, SignatureCheck } from './signature.js';
import { BODY_LIMIT_BYTES, declaredLength, readSignedBody } from './slack-body.js';

/** What /healthz reports: ready (200), or why not (503) and what the bot is waiting for. */
export type Health =
  | { status: 'ready' }
  | { status: 'starting' | 'unavailable'; waiting_for: Array<'store' | 'slack'> }
  | { status: 'draining' };

export interface HttpRoutes {
  /**
   * Serves a verified, parsed Slack request once the bot is built, calling `answered` when it has answered; until
   * then Slack's requests get a 503 (Slack retries events).
   */
  slack?: (request: VerifiedSlackRequest, res: ServerResponse, answered: () => void) => void;
  /** Must answer quickly (the caller time-boxes its own checks); a rejection reads as unavailable. */
  health(): Promise<Health>;
  /** `GET /metrics`: the scrape, and the bearer token it needs (unset: none). Without it, /metrics is a 404. */
  metrics?: MetricsRoute;
  /** Told, for each Slack request handed on, how many seconds after it arrived it was answered (the ack). */
  acked?(body: Record<string, unknown>, seconds: number): void;
}

export interface MetricsRoute {
  token?: string;
  scrape(): Promise<{ contentType: string; body: string }>;
}

/** The paths this server serves and the methods each takes; everything else is a 404 or a 405. */
const ALLOWED: Record<string, readonly string[]> = {
  '/slack/events': ['POST'],
  '/healthz': ['GET', 'HEAD'],
  '/livez': ['GET', 'HEAD'],
  '/metrics': ['GET', 'HEAD'],
};
/** In Socket Mode Slack's requests come over the socket: the server keeps only the probes and the metrics. */
const WITHOUT_SLACK: Record<string, readonly string[]> = Object.fromEntries(
  Object.entries(ALLOWED).filter(([path]) => path !== '/slack/events'),
);

const KEEP_ALIVE_MS = 65_000;
/** How long a refused request's body may keep arriving (discarded) before the connection is cut. */
const DRAIN_LIMIT_MS = 5_000;

/**
 * The bot's HTTP server. Every request is answered and none can throw out of it: `POST /slack/events` is checked
 * (signature on the raw bytes, size, a JSON object) before Bolt sees it; `GET /healthz` reports readiness, `GET
 * /livez` that the process serves, `GET /metrics` Prometheus metrics (behind a bearer token when one is set); other
 * paths get 404 and other methods on these paths 405 with `Allow`.
 */
export function createHttpServer(options: {
  signingSecret: string;
  routes: HttpRoutes;
  logger: Logger;
  /** Whether `POST /slack/events` is served (HTTP mode); in Socket Mode it is a 404. Default true. */
  serveSlack?: boolean;
}): Server {
  const { routes, logger } = options;
  const allowed = options.serveSlack === false ? WITHOUT_SLACK : ALLOWED;
  const server = createServer((req, res) => {
    try {
      route(req, res);
    } catch (error) {
      fail(res, error);
    }
  });
  // Longer than the idle timeout of common load balancers (60 s): Node's default of 5 s lets a balancer reuse a
  // connection the bot has just closed, and the request fails with a 502.
  server.keepAliveTimeout = KEEP_ALIVE_MS;
  // A new connection carries a request soon: work after an ack holds back a moment longer for it (see yield.ts).
  if (options.serveSlack !== false) server.on('connection', noteConnection);
  server.headersTimeout = KEEP_ALIVE_MS + 1_000;
  // A client that asks before sending its body (`Expect: 100-continue`) is told at once when the body is not wanted,
  // instead of being invited to upload it; otherwise it is invited, and the request is served as any other.
  server.on('checkContinue', (req, res) => {
    try {
      const unwanted = unwantedBody(req, allowed);
      if (unwanted) {
        send(res, unwanted.status, unwanted.message, undefined, { connection: 'close', ...unwanted.headers });
        return;
      }
      res.writeContinue();
      route(req, res);
    } catch (error) {
      fail(res, error);
    }
  });
  // CONNECT (a proxy tunnel) is not for this server: answered, then closed.
  server.on('connect', (_req, socket) => {
    socket.on('error', () => socket.destroy());
    socket.end(
      'HTTP/1.1 405 Method Not Allowed\r\nAllow: GET, HEAD, POST\r\nContent-Length: 0\r\nConnection: close\r\n\r\n',
    );
  });
  // After listening, a server error must be logged, not thrown (an `error` event without a listener would be).
  server.on('listening', () => server.on('error', (error) => logger.error({ err: error }, 'HTTP server error')));

  function route(req: IncomingMessage, res: ServerResponse): void {
    const arrived = performance.now();
    const refusal = routeRefusal(req, allowed);
    if (refusal) {
      refuse(req, res, refusal.status, refusal.message, refusal.headers);
      return;
    }
    const path = pathOf(req.url);
    if (path === '/healthz') {
      routes
        .health()
        .catch((error: unknown): Health => {
          logger.error({ err: error }, 'health check failed');
          return { status: 'unavailable', waiting_for: ['store'] };
        })
        .then((health) => send(res, health.status === 'ready' ? 200 : 503, JSON.stringify(health), 'application/json'))
        .catch((error: unknown) => fail(res, error));
      return;
    }
    if (path === '/livez') {
      send(res, 200, JSON.stringify({ status: 'alive' }), 'application/json');
      return;
    }
    if (path === '/metrics') {
      serveMetrics(req, res);
      return;
    }
    // Counted until answered, so work after an ack lets the acks still waiting go first.
    const answered = countUntilAnswered();
    serveSlack(req, res, answered, arrived).then(
      (handedOn) => {
        if (!handedOn) answered();
      },
      (error: unknown) => {
        answered();
        fail(res, error);
      },
    );
  }

  /** Checks a Slack request and hands it on; resolves to whether it was handed on (then it is answered there). */
  async function serveSlack(
    req: IncomingMessage,
    res: ServerResponse,
    answered: () => void,
    arrived: number,
  ): Promise<boolean> {
    const claim = readSignatureClaim(req.headers);
    if ('problem' in claim) {
      logger.debug({ problem: claim.problem }, 'unsigned request refused');
      refuse(req, res, 401, `Unauthorized: ${claim.problem}.`);
      return false;
    }
    if ((declaredLength(req) ?? 0) > BODY_LIMIT_BYTES) {
      refuse(req, res, 413, `Request body over ${BODY_LIMIT_BYTES} bytes.`);
      return false;
    }
    const body = await readSignedBody(req, new SignatureCheck(options.signingSecret, claim), BODY_LIMIT_BYTES);
    switch (body.kind) {
      case 'aborted':
        res.destroy();
        return false;
      case 'too-large':
        refuse(req, res, 413, `Request body over ${BODY_LIMIT_BYTES} bytes.`);
        return false;
      case 'bad-signature':
        logger.debug({}, 'badly signed request refused');
        refuse(req, res, 401, 'Unauthorized: the signature does not match the body.');
        return false;
    }
    // Parsed once, here, as Slack sends it; listeners read fields of it freely, so it must be a JSON object.
    const parsed = parseSlackBody(body.rawBody.toString('utf8'), req.headers['content-type']);
    if (!parsed) {
      send(res, 400, 'Bad request: the body is not a form or JSON object as Slack sends them.');
      return false;
    }
    if (!routes.slack) {
      send(res, 503, 'Starting; try again in a few seconds.', 'text/plain', { 'retry-after': '5' });
      return false;
    }
    routes.slack({ body: parsed, headers: req.headers }, res, () => {
      answered();
      routes.acked?.(parsed, (performance.now() - arrived) / 1000);
    });
    return true;
  }

  /** Prometheus' scrape; with a token set, nothing is read or rendered for a request without it. */
  function serveMetrics(req: IncomingMessage, res: ServerResponse): void {
    const metrics = routes.metrics;
    if (!metrics) {
      send(res, 404, `Not found. ${served(allowed)}`);
      return;
    }
    if (metrics.token !== undefined && !bearerMatches(req.headers.authorization, metrics.token)) {
      send(res, 401, 'Unauthorized: /metrics needs the header "Authorization: Bearer <METRICS_TOKEN>".', undefined, {
        'www-authenticate': 'Bearer realm="metrics"',
      });
      return;
    }
    metrics
      .scrape()
      .then(({ contentType, body }) => send(res, 200, body, contentType))
      .catch((error: unknown) => fail(res, error));
  }

  function fail(res: ServerResponse, error: unknown): void {
    logger.error({ err: error }, 'HTTP request failed');
    if (res.headersSent) res.destroy();
    else send(res, 500, 'Internal error.');
  }

  return server;
}

type Refusal = { status: number; message: string; headers?: Record<string, string> };

/** Why a request's path or method is not served (404, 405), if it is not. */
function routeRefusal(req: IncomingMessage, table: Record<string, readonly string[]>): Refusal | undefined {
  const path = pathOf(req.url);
  const allowed = path === undefined || !Object.hasOwn(table, path) ? undefined : table[path];
  if (!allowed) return { status: 404, message: `Not found. ${served(table)}` };
  if (!allowed.includes(req.method ?? ''))
    return {
      status: 405,
      message: `Method not allowed. ${path} takes ${allowed.join(' or ')}.`,
      headers: { allow: allowed.join(', ') },
    };
  return undefined;
}

/** Why a request announcing a body with `Expect: 100-continue` will be refused whatever the body, if it will. */
function unwantedBody(req: IncomingMessage, table: Record<string, readonly string[]>): Refusal | undefined {
  if ((declaredLength(req) ?? 0) > BODY_LIMIT_BYTES)
    return { status: 413, message: `Request body over ${BODY_LIMIT_BYTES} bytes.` };
  return routeRefusal(req, table);
}

/** What a 404 says the server answers, e.g. "This server answers POST /slack/events, GET /healthz and GET /livez." */
function served(table: Record<string, readonly string[]>): string {
  const routes = Object.entries(table).map(([path, methods]) => `${methods[0]} ${path}`);
  return `This server answers ${routes.slice(0, -1).join(', ')} and ${routes.at(-1)}.`;
}

/** The request's path with dot segments resolved, as Bolt resolves it; undefined when it is not a URL at all. */
function pathOf(url: string | undefined): string | undefined {
  try {
    return new URL(url ?? '/', 'http://localhost').pathname;
  } catch {
    return undefined;
  }
}

function send(
  res: ServerResponse,
  status: number,
  body: string,
  contentType = 'text/plain; charset=utf-8',
  headers: Record<string, string> = {},
): void {
  if (res.headersSent) return;
  res.writeHead(status, { 'content-type': contentType, ...headers }).end(body);
}

/**
 * Answers a request whose body is not wanted. A body still on its way is first read and discarded (never kept):
 * Node closes a connection answered mid-body, and a client still sending would see a reset instead of the answer.
 * A sender that keeps going past `DRAIN_LIMIT_MS` is cut off.
 */
function refuse(
  req: IncomingMessage,
  res: ServerResponse,
  status: number,
  message: string,
  headers: Record<string, string> = {},
): void {
  if (req.complete || req.readableEnded) {
    send(res, status, message, undefined, headers);
    return;
  }
  req.removeAllListeners('data');
  const cutOff = setTimeout(() => req.destroy(), DRAIN_LIMIT_MS);
  cutOff.unref();
  req.once('end', () => {
    clearTimeout(cutOff);
    send(res, status, message, undefined, headers);
  });
  req.once('close', () => clearTimeout(cutOff));
  req.resume();
}

/**
 * A Slack body as Slack sends it: a form (commands), a form whose `payload` field is JSON (interactions), or JSON
 * (events). Undefined when it is none of these, or not an object.
 */
function parseSlackBody(text: string, contentType: string | undefined): Record<string, unknown> | undefined {
  try {
    if (contentType === 'application/x-www-form-urlencoded') {
      const form = parse(text);
      // Slack sends every field once: a repeated one (an array here) is not Slack's.
      if (Object.values(form).some((value) => typeof value !== 'string')) return undefined;
      if (form.payload === undefined) return { ...form };
      return typeof form.payload === 'string' ? asObject(JSON.parse(form.payload)) : undefined;
    }
    return asObject(JSON.parse(text));
  } catch {
    return undefined;
  }
}

function asObject(value: unknown): Record<string, unknown> | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : undefined;
}
