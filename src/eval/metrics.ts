/**
 * Agreement metrics between expert labels and judge verdicts. Pure; every function returns null
 * (never NaN) when the metric is undefined for its input (e.g. no items).
 */

/**
 * Share of positions where the two lists hold the same value.
 *
 * @example
 * exactMatch(['a', 'b'], ['a', 'c']); // 0.5
 */
export function exactMatch<T>(expected: T[], predicted: T[]): number | null {
  if (expected.length === 0) return null;
  let same = 0;
  expected.forEach((e, i) => { if (e === predicted[i]) same += 1; });
  return same / expected.length;
}

/**
 * Cohen's kappa: agreement corrected for chance, (po − pe) / (1 − pe). When chance agreement is
 * total (both sides always give the same single label), kappa is 1 if they agree, else 0.
 *
 * @example
 * cohensKappa(['y', 'y', 'n', 'n'], ['y', 'n', 'n', 'n']); // 0.5
 */
export function cohensKappa<T>(expected: T[], predicted: T[]): number | null {
  const n = expected.length;
  if (n === 0) return null;
  const po = exactMatch(expected, predicted)!;
  const labels = new Set([...expected, ...predicted]);
  let pe = 0;
  for (const l of labels) {
    const a = expected.filter((x) => x === l).length / n;
    const b = predicted.filter((x) => x === l).length / n;
    pe += a * b;
  }
  if (pe === 1) return po === 1 ? 1 : 0;
  return (po - pe) / (1 - pe);
}

/**
 * Lin's concordance correlation coefficient (population variances, Lin 1989):
 * 2·cov(x, y) / (var x + var y + (mean x − mean y)²). Two identical constant series give 1.
 *
 * @example
 * linCcc([1, 2, 3], [1, 2, 3]); // 1
 */
export function linCcc(x: number[], y: number[]): number | null {
  const n = x.length;
  if (n === 0) return null;
  const mx = x.reduce((s, v) => s + v, 0) / n;
  const my = y.reduce((s, v) => s + v, 0) / n;
  let vx = 0; let vy = 0; let cov = 0;
  for (let i = 0; i < n; i++) { vx += (x[i] - mx) ** 2; vy += (y[i] - my) ** 2; cov += (x[i] - mx) * (y[i] - my); }
  vx /= n; vy /= n; cov /= n;
  const denom = vx + vy + (mx - my) ** 2;
  if (denom === 0) return 1;
  return (2 * cov) / denom;
}

/**
 * Confusion matrix: rows are expected labels, columns predicted, in the order of `labels`.
 *
 * @example
 * confusionMatrix(['y', 'n'], ['y', 'y'], ['y', 'n']); // [[1, 0], [1, 0]]
 */
export function confusionMatrix<T>(expected: T[], predicted: T[], labels: T[]): number[][] {
  const index = new Map(labels.map((l, i) => [l, i]));
  const m = labels.map(() => labels.map(() => 0));
  expected.forEach((e, i) => {
    const r = index.get(e);
    const c = index.get(predicted[i]);
    if (r !== undefined && c !== undefined) m[r][c] += 1;
  });
  return m;
}

/**
 * Fleiss' kappa: agreement of several raters on nominal labels, corrected for chance. `items`
 * holds each item's labels (one per rater; items with fewer than two are skipped, and raters may
 * differ in number between items, averaged per item). Null with no item rated twice.
 *
 * @example
 * fleissKappa([['y', 'y', 'y'], ['n', 'n', 'y'], ['n', 'n', 'n']]); // ≈ 0.55
 */
export function fleissKappa<T>(items: T[][]): number | null {
  const rated = items.filter((labels) => labels.length >= 2);
  if (rated.length === 0) return null;
  const totals = new Map<T, number>();
  let all = 0;
  let observed = 0;
  for (const labels of rated) {
    const counts = new Map<T, number>();
    for (const l of labels) counts.set(l, (counts.get(l) ?? 0) + 1);
    const n = labels.length;
    let pairs = 0;
    for (const c of counts.values()) pairs += c * (c - 1);
    observed += pairs / (n * (n - 1));
    for (const [l, c] of counts) totals.set(l, (totals.get(l) ?? 0) + c);
    all += n;
  }
  const po = observed / rated.length;
  let pe = 0;
  for (const c of totals.values()) pe += (c / all) ** 2;
  if (pe === 1) return po === 1 ? 1 : 0;
  return (po - pe) / (1 - pe);
}

/**
 * Krippendorff's alpha for interval (numeric) data: 1 − observed / expected disagreement, over
 * every pair of values within an item (items with fewer than two values are skipped). Null when it
 * is undefined (no pairable values, or every value identical).
 *
 * @example
 * krippendorffAlpha([[1, 1], [2, 2], [3, 4]]); // ≈ 0.88
 */
export function krippendorffAlpha(items: number[][]): number | null {
  const rated = items.filter((values) => values.length >= 2);
  const values = rated.flat();
  const n = values.length;
  if (rated.length === 0 || n < 2) return null;
  let within = 0;
  for (const item of rated) {
    let sum = 0;
    for (let i = 0; i < item.length; i += 1) for (let j = 0; j < item.length; j += 1) if (i !== j) sum += (item[i] - item[j]) ** 2;
    within += sum / (item.length - 1);
  }
  const observed = within / n;
  let between = 0;
  for (let i = 0; i < n; i += 1) for (let j = 0; j < n; j += 1) if (i !== j) between += (values[i] - values[j]) ** 2;
  const expected = between / (n * (n - 1));
  if (expected === 0) return null;
  return 1 - observed / expected;
}
