import pino, { type Logger } from 'pino';

export type { Logger };

const REDACTED = '[redacted]';

/** Field names whose values are secrets wherever they appear in a logged object. */
const SECRET_PATHS = [
  'token',
  'accessToken',
  'access_token',
  'authorization',
  'signingSecret',
  'appSecret',
  'appsecret_proof',
  '*.token',
  '*.accessToken',
  '*.access_token',
  '*.authorization',
  '*.signingSecret',
  '*.appSecret',
  'headers.authorization',
  'headers["x-slack-signature"]',
  '*.headers.authorization',
];

/** Replaces every configured secret, and anything shaped like a Slack token, in a string. */
export function scrub(text: string, secrets: readonly string[]): string {
  let result = text;
  for (const secret of secrets) if (secret) result = result.split(secret).join(REDACTED);
  return result
    .replace(/xox[abposr]-[A-Za-z0-9-]+/g, REDACTED)
    .replace(/xapp-[A-Za-z0-9-]+/g, REDACTED)
    .replace(/(access_token=)[^&\s"']+/g, `$1${REDACTED}`);
}

/** Keys whose values are secrets, at any depth (compared without case, `-` or `_`). */
const SECRET_KEYS = new Set(
  [
    'token',
    'accessToken',
    'botToken',
    'appToken',
    'authorization',
    'signingSecret',
    'appSecret',
    'clientSecret',
    'appsecretProof',
    'xSlackSignature',
    'password',
  ].map((key) => key.toLowerCase()),
);

function isSecretKey(key: string): boolean {
  return SECRET_KEYS.has(key.replace(/[-_]/g, '').toLowerCase());
}

/** Deeper than this, a logged value is replaced rather than walked: nothing unscrubbed gets through. */
const MAX_DEPTH = 64;

/**
 * A copy of `value` with secrets removed: configured secrets and token-shaped text in every string, and the values of
 * secret-named keys, at any depth. A cycle becomes `[Circular]`.
 */
function scrubDeep(value: unknown, secrets: readonly string[], depth = 0, seen = new WeakSet<object>()): unknown {
  if (typeof value === 'string') return scrub(value, secrets);
  if (value === null || typeof value !== 'object') return value;
  if (seen.has(value)) return '[Circular]';
  if (depth > MAX_DEPTH) return '[too deep to log]';
  seen.add(value);
  try {
    if (value instanceof Error) {
      // Same prototype, so pino's error serializer still names the type; only the text is cleaned.
      const copy = Object.create(Object.getPrototypeOf(value)) as Error;
      Object.assign(copy, scrubDeep({ ...value }, secrets, depth + 1, seen));
      copy.message = scrub(value.message, secrets);
      copy.stack = value.stack && scrub(value.stack, secrets);
      if ('cause' in value) copy.cause = scrubDeep(value.cause, secrets, depth + 1, seen);
      return copy;
    }
    if (Array.isArray(value)) return value.map((item) => scrubDeep(item, secrets, depth + 1, seen));
    if (Buffer.isBuffer(value) || ArrayBuffer.isView(value)) return `[${value.byteLength} bytes]`;
    return Object.fromEntries(
      Object.entries(value).map(([key, item]) => [
        key,
        isSecretKey(key) && item !== undefined && item !== null ? REDACTED : scrubDeep(item, secrets, depth + 1, seen),
      ]),
    );
  } finally {
    // Only the path from the root counts: the same object twice side by side is not a cycle.
    seen.delete(value);
  }
}

/** Structured JSON logs; secrets are redacted by field name and scrubbed from every string. */
export function createLogger(options: {
  level: string;
  secrets?: readonly string[];
  destination?: pino.DestinationStream;
}): Logger {
  const secrets = options.secrets ?? [];
  return pino(
    {
      level: options.level,
      base: { app: 'waba-access' },
      redact: { paths: SECRET_PATHS, censor: REDACTED },
      formatters: { log: (object) => scrubDeep(object, secrets) as Record<string, unknown> },
      hooks: {
        logMethod(args, method) {
          const cleaned = args.map((arg) => (typeof arg === 'string' ? scrub(arg, secrets) : arg));
          return method.apply(this, cleaned as Parameters<typeof method>);
        },
      },
    },
    options.destination,
  );
}
