import type { Guideline } from '../types.ts';
import { contentHash, normaliseText } from '../text/hash.ts';

/**
 * True when a guideline is the expert's: written by hand, rewritten, or pinned. Distillation and
 * revision never rewrite or remove such a guideline; a distilled repeat only adds its sources.
 *
 * @example
 * isExpertOwned({ ...g, pinned: true }); // true
 */
export function isExpertOwned(g: Guideline): boolean {
  return g.origin === 'manual' || g.pinned || g.edited === true;
}

/**
 * A fresh guideline id. It is derived from where the guideline is born — judge, memory version,
 * position in that commit — not from its text alone, so a later guideline with an earlier one's
 * text gets an id of its own, and reruns of the same work get the same ids (reproducible runs).
 * `taken` lists ids in use, tombstones included; a clash (of a hash) moves on to the next salt.
 *
 * @example
 * newGuidelineId(new Set(), 'sql\n4\n0\nUse certified views.'); // 'g_3f9c…'
 */
export function newGuidelineId(taken: { has(id: string): boolean }, birth: string): string {
  for (let salt = 0; ; salt++) {
    const id = `g_${contentHash(`${birth}\n${salt}`, 12)}`;
    if (!taken.has(id)) return id;
  }
}

// Words that do not change what a rule says: order and these do not count when matching repeats.
// Negations ("not", "never", "no") are deliberately absent: they change the meaning.
const FILLER = new Set(['a', 'an', 'the', 'of', 'to', 'in', 'on', 'for', 'and', 'or', 'is', 'are', 'be', 'that', 'this', 'it', 'its', 'with', 'as', 'by', 'at', 'should', 'must', 'always']);

/**
 * The keys under which a text counts as the same rule: its normalised text, and its meaningful
 * words in order, plurals folded (so "Prefer certified views over raw tables." and "Always prefer
 * the certified view over raw tables" match, while "Never prefer…" or "Prefer raw tables over
 * certified views" do not: word order and negations carry meaning).
 *
 * @example
 * sameRuleKeys('Prefer the views!'); // ['prefer the views', 'w:prefer view']
 */
export function sameRuleKeys(text: string): string[] {
  const norm = normaliseText(text);
  if (norm === '') return [];
  const words = norm.split(' ').filter((w) => !FILLER.has(w)).map(stem);
  return words.length === 0 ? [norm] : [norm, `w:${words.join(' ')}`];
}

/** Every key a guideline answers to: its text and its earlier texts. */
export function guidelineKeys(g: Guideline): string[] {
  return [...new Set([g.text, ...(g.aliases ?? [])].flatMap(sameRuleKeys))];
}

// A light plural/verb-ending fold: "views" ~ "view", "prefers" ~ "prefer".
function stem(word: string): string {
  if (word.length > 4 && word.endsWith('ies')) return `${word.slice(0, -3)}y`;
  if (word.length > 3 && word.endsWith('s') && !word.endsWith('ss')) return word.slice(0, -1);
  return word;
}
