import type { JudgedRecord, JudgeVerdictSeen, Provenance, VerdictValue } from '../core/types.ts';

/** What a user may do: admin (judges, align, memory edits, accounts), reviewer (feedback on queues), viewer (read). */
export type Role = 'admin' | 'reviewer' | 'viewer';
export const ROLES: Role[] = ['admin', 'reviewer', 'viewer'];

/** A user of the review app or the API. */
export interface Account { name: string; role: Role; createdAt: string; disabled: boolean }

/** A review queue of one judge: what experts work through. */
export interface ReviewQueue {
  id: string;
  judge: string;
  name: string;
  description: string;
  /** Independent reviews wanted on the overlap sample (1 = no overlap). */
  reviewers: number;
  /** Share of items (0–1) that get `reviewers` independent, blind reviews; the rest get one. */
  overlap: number;
  /** Share of items (0–1) held out as the calibration sample: reviewed, never aligned on, re-judged after each align to measure agreement. */
  calibration: number;
  createdBy: string;
  createdAt: string;
}

/** Counts of a queue's items by state, and reviews given. */
export interface QueueProgress { total: number; judging: number; open: number; done: number; failed: number; reviews: number; byReviewer: { reviewer: string; reviews: number }[] }

/** The judge's verdict on a queue item, as the expert sees it. */
export interface ItemVerdict { value: VerdictValue; rationale: string; provenance: Provenance }

/** Why an item is where it is in the queue. */
export type ItemReason = 'disagreement' | 'low-confidence' | 'calibration' | 'overlap' | 'routine' | 'pending';

/** One item of a queue: a record, the judge's verdict on it, and its place in the queue. */
export interface QueueItem {
  queue: string;
  id: string;
  seq: number;
  record: JudgedRecord;
  verdict: ItemVerdict | null;
  memoryVersion: number | null;
  state: 'judging' | 'open' | 'done' | 'failed';
  priority: number;
  reason: ItemReason;
  /** The reason in words, shown on screen. */
  why: string;
  needed: number;
  reviews: number;
  assignedTo: string | null;
  calibration: boolean;
  error: string | null;
}

/** An expert's review of a queue item: the feedback it becomes when aligned. */
export interface Review {
  queue: string;
  item: string;
  reviewer: string;
  value?: VerdictValue;
  rationale?: string;
  /** The answer the expert expected, when given. */
  expected?: string;
  verdictSeen?: JudgeVerdictSeen;
  createdAt: string;
  /** 1 for a reviewer's first review of the item; each resubmission supersedes the last (kept in history). */
  revision: number;
  /** Memory version the review was aligned into; null while not yet aligned. */
  alignedVersion: number | null;
}

/** One entry of the audit log: who changed what. */
export interface AuditEntry { seq: number; at: string; user: string; action: string; target: string; detail: string }

/** Judge↔human agreement measured after an align (one point of the chart over memory versions). */
export interface Evaluation {
  judge: string;
  version: number;
  at: string;
  /** Items with a human value the judge was compared on. */
  n: number;
  metric: 'kappa' | 'ccc';
  accuracy: number | null;
  agreement: number | null;
  flipped: number;
}

/** A page of a list, with the cursor of the next page (null at the end). */
export interface Page<T> { items: T[]; next: string | null }
