import type { OutputKind, VerdictValue } from '../core/types.ts';
import type { ItemReason, ItemVerdict } from './types.ts';

/** What decides where a judged item goes in its queue. */
export interface PlacementSignals {
  kind: OutputKind;
  verdict: ItemVerdict;
  /** Values experts already gave this record (feedback in memory). */
  feedbackValues: VerdictValue[];
  /** Values of the precedents (recalled episodes) the verdict used. */
  precedentValues: VerdictValue[];
  calibration: boolean;
  needed: number;
}

/**
 * Where a verdict goes in the review queue, most needed first, with the reason in words:
 * 1. disagreement with existing expert feedback on the same record (priority 3+),
 * 2. low confidence: most recalled precedents disagree with the verdict (2+, more disagreeing = higher),
 * 3. the calibration sample (1.5), then the overlap sample (1.2), then the rest (1), in input order.
 * Pure: the same signals give the same place.
 *
 * @example
 * placeOf({ kind: { type: 'boolean' }, verdict, feedbackValues: [false], precedentValues: [], calibration: false, needed: 1 }).reason; // 'disagreement'
 */
export function placeOf(s: PlacementSignals): { priority: number; reason: ItemReason; why: string } {
  const v = s.verdict.value;
  const show = (x: VerdictValue) => JSON.stringify(x);
  const differs = s.feedbackValues.filter((f) => !sameValue(s.kind, f, v));
  if (differs.length > 0) {
    return { priority: 3 + differs.length / s.feedbackValues.length, reason: 'disagreement', why: `The judge says ${show(v)}, but expert feedback on this record says ${[...new Set(differs.map(show))].join(' / ')}.` };
  }
  if (s.precedentValues.length >= 2) {
    const against = s.precedentValues.filter((p) => !sameValue(s.kind, p, v)).length;
    const share = against / s.precedentValues.length;
    if (share >= 0.5) {
      return { priority: 2 + share, reason: 'low-confidence', why: `${against} of the ${s.precedentValues.length} precedents this verdict recalled disagree with it (${show(v)}): the judge may be unsure.` };
    }
  }
  if (s.calibration) return { priority: 1.5, reason: 'calibration', why: 'Random calibration sample: held out from alignment, it measures how well the judge agrees with experts.' };
  if (s.needed > 1) return { priority: 1.2, reason: 'overlap', why: `Overlap sample: ${s.needed} independent reviewers, blind to each other, measure agreement between experts.` };
  return { priority: 1, reason: 'routine', why: 'No signal that it needs an expert more than others: in input order.' };
}

/** Whether two values agree: equal, or for numeric judges within a tenth of the scale. */
export function sameValue(kind: OutputKind, a: VerdictValue, b: VerdictValue): boolean {
  if (kind.type === 'numeric' && typeof a === 'number' && typeof b === 'number') return Math.abs(a - b) <= (kind.max - kind.min) / 10;
  return a === b;
}
