export type { Feedback, Guideline, Json, JudgeDefinition, JudgedRecord, OutputKind, VerdictValue } from '../core/types.ts';
export type { LogEntry as LogEntryLike } from '../core/memory/operations.ts';
