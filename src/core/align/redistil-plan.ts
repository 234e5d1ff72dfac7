import { plainEpisode, type MemoryState } from '../memory/operations.ts';
import { isExpertOwned } from '../memory/guideline-rules.ts';
import { emptyPlan, type MemoryPlan } from './plan.ts';

/**
 * Plans re-deriving semantic memory from episodic memory: by default the episodes stored while
 * semantic memory was off (never distilled); with `all`, every episode, replacing every distilled
 * guideline (expert-owned guidelines stay, and repeats merge into them; tombstones still hold).
 *
 * @example
 * const plan = planRedistil(state, { all: false });
 */
export function planRedistil(state: MemoryState, options: { all?: boolean } = {}): MemoryPlan {
  const plan = emptyPlan();
  for (const e of [...state.episodes.values()].sort((a, b) => (a.id < b.id ? -1 : 1))) {
    if (!options.all && e.distilled !== false) continue;
    if (e.value === undefined && e.rationale === undefined) continue;
    plan.episodePuts.push(plainEpisode(e));
    const ex = { key: e.id, record: e.record, value: e.value, rationale: e.rationale, feedbackIds: e.feedbackIds, judgeVerdict: e.judgeVerdict };
    plan.toDistil.push(ex);
  }
  if (options.all) plan.guidelinePurges = [...state.guidelines.values()].filter((g) => !isExpertOwned(g)).map((g) => g.id).sort();
  return plan;
}
