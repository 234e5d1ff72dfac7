import { z } from 'zod';
import type { JudgeDefinition, MemorySettings } from '../types.ts';
import { ValidationError, type Issue } from '../errors.ts';
import { templateVariables } from './template.ts';

/** Memory defaults: k = 5 as in the method's paper, budgets sized for small fast models. */
export const DEFAULT_MEMORY: MemorySettings = {
  k: 5,
  semantic: true,
  episodic: true,
  queryFields: [],
  workingMemoryTokens: 6000,
  fieldTokens: 1500,
  similarityFloor: 0,
  mmrLambda: 1,
  balanceLabels: false,
  recall: 'similar',
};

const name = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/, 'use 1–64 letters, digits, "_", "-" or "." (no spaces), starting with a letter or digit');

const output = z.preprocess(
  (v) => (typeof v === 'string' ? { type: v } : v),
  z.discriminatedUnion('type', [
    z.object({ type: z.literal('boolean') }).strict(),
    z.object({
      type: z.literal('categorical'),
      labels: z.array(z.string().trim().min(1, 'a label cannot be empty')).min(2, 'give at least two labels')
        .refine((l) => new Set(l).size === l.length, 'labels must be unique'),
    }).strict(),
    z.object({ type: z.literal('numeric'), min: z.number(), max: z.number(), integer: z.boolean().default(true) }).strict()
      .refine((o) => o.min < o.max, { message: 'min must be less than max', path: ['max'] }),
    z.object({ type: z.literal('pairwise') }).strict(),
  ], { error: () => 'output.type must be one of boolean, categorical, numeric, pairwise' }),
);

const memory = z.object({
  k: z.number().int().min(0).max(100).default(DEFAULT_MEMORY.k),
  semantic: z.boolean().default(DEFAULT_MEMORY.semantic),
  episodic: z.boolean().default(DEFAULT_MEMORY.episodic),
  queryFields: z.array(z.string().min(1)).default([]),
  workingMemoryTokens: z.number().int().min(100).default(DEFAULT_MEMORY.workingMemoryTokens),
  fieldTokens: z.number().int().min(16).default(DEFAULT_MEMORY.fieldTokens),
  similarityFloor: z.number().min(0).max(1).default(DEFAULT_MEMORY.similarityFloor),
  mmrLambda: z.number().min(0).max(1).default(DEFAULT_MEMORY.mmrLambda),
  balanceLabels: z.boolean().default(DEFAULT_MEMORY.balanceLabels),
  recall: z.enum(['similar', 'random']).default(DEFAULT_MEMORY.recall),
}).strict();

const definition = z.object({
  name,
  instructions: z.string().trim().min(1, 'write the instructions the judge follows'),
  output,
  model: z.string().min(1).optional(),
  distillModel: z.string().min(1).optional(),
  memory: memory.default(() => ({ ...DEFAULT_MEMORY, queryFields: [] })),
}).strict();

/**
 * Validates a judge definition given as plain data (from YAML, JSON or code), fills defaults, and
 * reports every problem with its path. `locate` maps a path to a line for file-based input.
 *
 * @example
 * const judge = parseJudge({ name: 'correct', instructions: 'Is {{ outputs }} correct for {{ inputs }}?', output: 'boolean' });
 */
export function parseJudge(data: unknown, source: { file?: string; locate?: (path: (string | number)[]) => number | undefined } = {}): JudgeDefinition {
  const result = definition.safeParse(data);
  const issues: Issue[] = [];
  if (!result.success) {
    for (const issue of result.error.issues) {
      const path = issue.path.filter((p): p is string | number => typeof p !== 'symbol');
      // An unknown key is best located at the key itself.
      const at = issue.code === 'unrecognized_keys' ? [...path, issue.keys[0]] : path;
      issues.push({ file: source.file, line: source.locate?.(at), path: formatPath(path), message: explain(issue) });
    }
    throw new ValidationError(`judge definition${source.file ? ` in ${source.file}` : ''}`, issues);
  }
  const judge = result.data as JudgeDefinition;
  const used = templateVariables(judge.instructions);
  if (!used.some((v) => v === 'inputs' || v === 'outputs')) {
    issues.push({ file: source.file, line: source.locate?.(['instructions']), path: 'instructions', message: 'the template must use {{ inputs }} or {{ outputs }} so the judge sees the record' });
  }
  if (issues.length > 0) throw new ValidationError(`judge definition${source.file ? ` in ${source.file}` : ''}`, issues);
  return judge;
}

/** The record fields that form the retrieval query: the configured ones, else every template variable. */
export function queryFieldsOf(judge: JudgeDefinition): string[] {
  return judge.memory.queryFields.length > 0 ? judge.memory.queryFields : templateVariables(judge.instructions);
}

function formatPath(path: (string | number)[]): string {
  return path.map((p, i) => (typeof p === 'number' ? `[${p}]` : i === 0 ? p : `.${p}`)).join('');
}

function explain(issue: z.core.$ZodIssue): string {
  if (issue.code === 'unrecognized_keys') return `unknown field${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => JSON.stringify(k)).join(', ')}: remove or fix the spelling`;
  if (issue.code === 'invalid_type' && issue.message.includes('received undefined')) return `missing: add this field (${issue.expected})`;
  return issue.message;
}
