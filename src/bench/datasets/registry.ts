import type { DatasetAdapter } from './adapter.ts';
import { evouna } from './evouna.ts';
import { financebench } from './financebench.ts';
import { halueval } from './halueval.ts';
import { prometheus } from './prometheus.ts';
import { pandalm } from './pandalm.ts';
import { hhRlhf, judgebench, llmbar, autoj } from './pairwise-sets.ts';

/**
 * Every dataset adapter, by name. HotpotQA is not here: it has questions and gold answers but no
 * judged model outputs, so there is nothing for a judge to agree with.
 *
 * @example
 * DATASETS.evouna.load(root, { seed: 1 });
 */
export const DATASETS: Record<string, DatasetAdapter> = Object.fromEntries(
  [evouna, financebench, halueval, prometheus, pandalm, hhRlhf, judgebench, llmbar, autoj].map((d) => [d.name, d]),
);
