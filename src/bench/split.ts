import { seeded, type LabelledRow } from './datasets/adapter.ts';

/**
 * Splits rows into train and test for one seed: groups (rows sharing a question or scenario) are
 * shuffled and taken whole until `trainSize` rows are reached, so no group straddles the split.
 * Deterministic per seed; no Math.random.
 *
 * @example
 * const { train, test } = splitRows(rows, { seed: 1, trainSize: 50 });
 */
export function splitRows(rows: LabelledRow[], options: { seed: number; trainSize?: number; testLimit?: number }): { train: LabelledRow[]; test: LabelledRow[] } {
  const trainSize = options.trainSize ?? 50;
  const random = seeded(options.seed);
  const groups = new Map<string, LabelledRow[]>();
  for (const r of rows) groups.set(r.group, [...(groups.get(r.group) ?? []), r]);
  const order = [...groups.keys()].sort();
  for (let i = order.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [order[i], order[j]] = [order[j], order[i]];
  }
  const train: LabelledRow[] = [];
  const test: LabelledRow[] = [];
  for (const g of order) {
    const members = groups.get(g)!;
    if (train.length < trainSize) train.push(...members.slice(0, trainSize - train.length));
    else test.push(...members);
  }
  // A group cut at the boundary keeps its other rows out of test, so none leaks.
  const trainGroups = new Set(train.map((r) => r.group));
  const cleanTest = test.filter((r) => !trainGroups.has(r.group));
  return { train, test: options.testLimit !== undefined ? cleanTest.slice(0, options.testLimit) : cleanTest };
}

/**
 * The growing training shards of the protocol: cumulative prefixes of the training rows.
 *
 * @example
 * shards(train, [0, 2, 5]); // [[], train.slice(0, 2), train.slice(0, 5)]
 */
export function shards<T>(train: T[], sizes: number[] = [0, 2, 5, 10, 20, 50]): { size: number; rows: T[] }[] {
  return sizes.filter((s) => s <= train.length).map((size) => ({ size, rows: train.slice(0, size) }));
}
