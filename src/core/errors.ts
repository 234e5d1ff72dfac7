/**
 * Errors with a stable `code`, a message that names where and how to fix, and `isRetryable`.
 * Every error memalign throws on purpose is a `MemalignError`.
 */

/** One problem found while validating input: where it is and what is wrong. */
export interface Issue {
  /** File name, when the input came from a file. */
  file?: string;
  /** 1-based line, when known (JSONL/CSV/YAML). */
  line?: number;
  /** Dotted path to the field, e.g. `output.labels[2]`. */
  path: string;
  message: string;
}

export class MemalignError extends Error {
  readonly code: string;
  readonly isRetryable: boolean;
  constructor(code: string, message: string, options: { cause?: unknown; retryable?: boolean } = {}) {
    super(message, { cause: options.cause });
    this.name = 'MemalignError';
    this.code = code;
    this.isRetryable = options.retryable ?? false;
  }
}

/** Formats an issue as `file:line: path: message`. */
export function formatIssue(issue: Issue): string {
  const where = [issue.file, issue.line].filter((p) => p !== undefined).join(':');
  const field = issue.path ? `${issue.path}: ` : '';
  return `${where ? `${where}: ` : ''}${field}${issue.message}`;
}

/** Input failed validation; `issues` lists every problem found, not only the first. */
export class ValidationError extends MemalignError {
  readonly issues: Issue[];
  constructor(what: string, issues: Issue[]) {
    const lines = issues.slice(0, 20).map((i) => `  - ${formatIssue(i)}`);
    if (issues.length > 20) lines.push(`  … and ${issues.length - 20} more`);
    super('invalid_input', `Invalid ${what} (${issues.length} problem${issues.length === 1 ? '' : 's'}):\n${lines.join('\n')}`);
    this.name = 'ValidationError';
    this.issues = issues;
  }
}

/** A model provider call failed (network, HTTP status, timeout). */
export class ProviderError extends MemalignError {
  readonly status?: number;
  constructor(message: string, options: { cause?: unknown; retryable?: boolean; status?: number } = {}) {
    super('provider_error', message, options);
    this.name = 'ProviderError';
    this.status = options.status;
  }
}

/** The model answered, but not with a valid verdict even after a repair attempt. */
export class InvalidOutputError extends MemalignError {
  readonly output: string;
  constructor(message: string, output: string) {
    super('invalid_output', message);
    this.name = 'InvalidOutputError';
    this.output = output;
  }
}

/** Configuration is missing or wrong (e.g. an API key variable is not set). */
export class ConfigError extends MemalignError {
  constructor(message: string) {
    super('config_error', message);
    this.name = 'ConfigError';
  }
}

/** Alignment could not distil some feedback; nothing was stored. */
export class AlignError extends MemalignError {
  /** Feedback ids that were not distilled. */
  readonly feedbackIds: string[];
  /** Model calls the align needed, and how many of them failed. */
  readonly tasks?: { tasks: number; failedTasks: number };
  constructor(message: string, feedbackIds: string[], cause?: unknown, tasks?: { tasks: number; failedTasks: number }) {
    super('align_failed', message, { cause, retryable: true });
    this.name = 'AlignError';
    this.feedbackIds = feedbackIds;
    this.tasks = tasks;
  }
}

/** A referenced guideline, episode or feedback does not exist. */
export class NotFoundError extends MemalignError {
  constructor(message: string) {
    super('not_found', message);
    this.name = 'NotFoundError';
  }
}

/** The memory store is unusable (corrupt file, newer schema, wrong embedder space). */
export class StoreError extends MemalignError {
  constructor(message: string, cause?: unknown) {
    super('store_error', message, { cause });
    this.name = 'StoreError';
  }
}

/** The request clashes with the current state (a name taken, an item not ready, a reused idempotency key). */
export class ConflictError extends MemalignError {
  constructor(message: string, code = 'conflict') {
    super(code, message);
    this.name = 'ConflictError';
  }
}

/** The user may not do this (their role, or an item assigned to someone else). */
export class ForbiddenError extends MemalignError {
  constructor(message: string) {
    super('forbidden', message);
    this.name = 'ForbiddenError';
  }
}
