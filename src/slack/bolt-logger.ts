import { type Logger as BoltLogger, LogLevel } from '@slack/bolt';
import type { Logger } from '../logger.js';

const TO_PINO: Record<LogLevel, string> = {
  [LogLevel.DEBUG]: 'debug',
  [LogLevel.INFO]: 'info',
  [LogLevel.WARN]: 'warn',
  [LogLevel.ERROR]: 'error',
};

/** Bolt's logger interface on top of our pino logger, so Bolt's lines are structured and scrubbed too. */
export function boltLogger(logger: Logger): BoltLogger {
  let child = logger.child({ component: 'bolt' });
  const write =
    (level: 'debug' | 'info' | 'warn' | 'error') =>
    (...messages: unknown[]) => {
      // Bolt logs at debug several times per request: nothing is formatted for a level that is off.
      if (!child.isLevelEnabled(level)) return;
      const errors = messages.filter((message) => message instanceof Error);
      const text = messages
        .filter((message) => !(message instanceof Error))
        .map((message) => (typeof message === 'string' ? message : JSON.stringify(message)))
        .join(' ');
      child[level](errors.length > 0 ? { err: errors[0] } : {}, text);
    };
  return {
    debug: write('debug'),
    info: write('info'),
    warn: write('warn'),
    error: write('error'),
    setLevel(level: LogLevel) {
      child.level = TO_PINO[level] ?? 'info';
    },
    getLevel() {
      const level = Object.entries(TO_PINO).find(([, name]) => name === child.level)?.[0];
      return (level as LogLevel | undefined) ?? LogLevel.INFO;
    },
    setName(name: string) {
      child = logger.child({ component: name });
    },
  };
}
