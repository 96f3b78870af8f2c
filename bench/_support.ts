import type { LoggerService } from '@backstage/backend-plugin-api';

/** Benchmarks print tables, not logs. */
export const silentLogger: LoggerService = {
  info() {},
  warn() {},
  error() {},
  debug() {},
  child() {
    return silentLogger;
  },
};
