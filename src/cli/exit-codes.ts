import { MemalignError } from '../core/errors.ts';

/** Exit codes of the `memalign` command, one per kind of failure (docs/cli.md). */
export const EXIT = {
  ok: 0,
  unexpected: 1,
  usage: 2,
  invalidInput: 3,
  config: 4,
  provider: 5,
  store: 6,
  notFound: 7,
  alignFailed: 8,
  someRecordsFailed: 9,
  busy: 10,
  interrupted: 130,
} as const;

/**
 * The exit code for an error.
 *
 * @example
 * process.exitCode = exitCodeOf(error);
 */
export function exitCodeOf(error: unknown): number {
  if (error instanceof CliError) return error.exitCode;
  if (!(error instanceof MemalignError)) return EXIT.unexpected;
  switch (error.code) {
    case 'invalid_input': case 'conflict': return EXIT.invalidInput;
    case 'config_error': return EXIT.config;
    case 'provider_error': case 'invalid_output': return EXIT.provider;
    case 'store_error': case 'store_conflict': return EXIT.store;
    case 'not_found': return EXIT.notFound;
    case 'align_failed': return EXIT.alignFailed;
    default: return EXIT.unexpected;
  }
}

/** A CLI-level failure with its own exit code and message. */
export class CliError extends Error {
  readonly exitCode: number;
  constructor(message: string, exitCode: number) {
    super(message);
    this.name = 'CliError';
    this.exitCode = exitCode;
  }
}
