import type { MemorySettings } from '../index.ts';
import type { LabelledRow } from './datasets/adapter.ts';

/** A way of turning expert feedback into a better judge, compared on the same splits. */
export interface BenchMethod {
  name: string;
  description: string;
  /** Memory settings of the judge this method builds. */
  memory: Partial<MemorySettings>;
  /** False: never aligned (the baseline judge). */
  aligns: boolean;
  /** The feedback this method gives for a row (null: skip the row). */
  feedback(row: LabelledRow): { value?: LabelledRow['value']; rationale?: string } | null;
  /** Only rows the unaligned judge got wrong become feedback (LangSmith-style corrections). */
  correctionsOnly?: boolean;
  /** Not a memalign judge: the prompt-optimiser baseline (ax GEPA), run against the model's endpoint. */
  optimiser?: boolean;
}

const both = (r: LabelledRow) => ({ value: r.value, rationale: r.rationale });

/**
 * The methods of the MemAlign experiments (DESIGN.md §6).
 *
 * @example
 * METHODS.find((m) => m.name === 'memalign');
 */
export const METHODS: BenchMethod[] = [
  { name: 'unaligned', description: 'the judge as written, no memory', memory: { semantic: false, episodic: false }, aligns: false, feedback: () => null },
  { name: 'memalign', description: 'guidelines + recalled examples (both memories)', memory: {}, aligns: true, feedback: both },
  { name: 'semantic-only', description: 'distilled guidelines only', memory: { episodic: false }, aligns: true, feedback: both },
  { name: 'episodic-only', description: 'recalled examples only', memory: { semantic: false }, aligns: true, feedback: both },
  { name: 'labels-only', description: 'memalign fed expert values without explanations', memory: {}, aligns: true, feedback: (r) => ({ value: r.value }) },
  { name: 'feedback-only', description: 'memalign fed explanations without values (rows with an explanation)', memory: {}, aligns: true, feedback: (r) => (r.rationale ? { rationale: r.rationale } : null) },
  { name: 'random-few-shot', description: 'k random labelled examples, no guidelines', memory: { semantic: false, recall: 'random' }, aligns: true, feedback: (r) => ({ value: r.value }) },
  { name: 'gepa', description: "prompt optimiser baseline: ax's GEPA evolves the judge's instruction on the training examples (labels as metric)", memory: {}, aligns: true, feedback: both, optimiser: true },
  { name: 'corrections-few-shot', description: 'similar examples, but only where the unaligned judge was wrong (LangSmith style)', memory: { semantic: false }, aligns: true, feedback: both, correctionsOnly: true },
];
