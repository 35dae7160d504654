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

function scrubDeep(value: unknown, secrets: readonly string[], depth = 0): unknown {
  if (typeof value === 'string') return scrub(value, secrets);
  if (depth > 6 || value === null || typeof value !== 'object') return value;
  if (value instanceof Error) {
    // Same prototype, so pino's error serializer still names the type; only the text is cleaned.
    const copy = Object.create(Object.getPrototypeOf(value)) as Error;
    Object.assign(copy, scrubDeep({ ...value }, secrets, depth + 1));
    copy.message = scrub(value.message, secrets);
    copy.stack = value.stack && scrub(value.stack, secrets);
    return copy;
  }
  if (Array.isArray(value)) return value.map((item) => scrubDeep(item, secrets, depth + 1));
  return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, scrubDeep(item, secrets, depth + 1)]));
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
