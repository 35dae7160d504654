/** Settings that cannot be used: each problem is one line that says what is wrong and where. */
export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Configuration is incomplete:\n${problems.join('\n')}`);
    this.name = 'ConfigError';
  }
}
