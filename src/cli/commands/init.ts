import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { stringify } from 'yaml';
import { CliError, EXIT } from '../exit-codes.ts';
import type { CliContext } from '../context.ts';
import { CONFIG_NAMES } from '../config.ts';

const OUTPUTS: Record<string, string> = {
  boolean: 'output: boolean            # true / false',
  categorical: 'output:\n  type: categorical\n  labels: [good, bad]       # the verdicts experts choose from',
  numeric: 'output:\n  type: numeric\n  min: 1\n  max: 5\n  integer: true',
  pairwise: 'output: pairwise           # "A", "B" or "tie"; records carry outputs: { A: ..., B: ... }',
};

/**
 * `memalign init [name]`: writes a commented judge file and a project config, and says what next.
 *
 * @example
 * memalign init support-quality --kind categorical
 */
export function initCommand(ctx: CliContext, name: string, options: { kind: string; model?: string }): void {
  if (!/^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/.test(name)) throw new CliError(`"${name}" cannot be a judge name: use letters, digits, "_", "-" or "." (no spaces).`, EXIT.usage);
  if (!OUTPUTS[options.kind]) throw new CliError(`--kind must be one of ${Object.keys(OUTPUTS).join(', ')}.`, EXIT.usage);
  const dir = join(ctx.io.cwd, 'judges');
  const file = join(dir, `${name}.yaml`);
  if (existsSync(file)) throw new CliError(`${relative(ctx.io.cwd, file)} already exists: edit it, or choose another name.`, EXIT.usage);
  mkdirSync(dir, { recursive: true });
  writeFileSync(file, `# Judge "${name}" — memalign judges are data. Edit freely; "memalign doctor" checks the setup.
name: ${name}

# What the judge checks. {{ inputs }}, {{ outputs }} and {{ expectations }} refer to the record's
# fields (any other field of the record can be named too). Records are shown to the model in
# delimited blocks, never pasted into these instructions.
instructions: |
  Does the response in {{ outputs }} correctly and helpfully answer the request in {{ inputs }}?

# The verdict: boolean | categorical (labels) | numeric (min, max, integer) | pairwise.
${OUTPUTS[options.kind]}

# The model that judges (and distils guidelines). Leave it out to use --model, the project config,
# or what memalign detects (OPENAI_API_KEY, ANTHROPIC_API_KEY, Ollama, a local GGUF).
${options.model ? `model: ${options.model}` : '# model: openai:gpt-4.1-mini'}

# Memory settings (all optional):
memory:
  k: 5                       # past examples recalled per judged record
  # semantic: true           # distilled guidelines
  # episodic: true           # recalled examples
  # workingMemoryTokens: 6000
`);
  const configFile = CONFIG_NAMES.map((n) => join(ctx.io.cwd, n)).find((p) => existsSync(p));
  let wroteConfig = false;
  if (!configFile) {
    writeFileSync(join(ctx.io.cwd, 'memalign.config.yaml'), `# memalign project settings (all optional)\n${stringify({ store: '.memalign/memory.db', judges: { [name]: `judges/${name}.yaml` } })}`);
    wroteConfig = true;
  }
  ctx.print({ judgeFile: file, configFile: wroteConfig ? join(ctx.io.cwd, 'memalign.config.yaml') : configFile ?? null }, () => [
    `Wrote ${relative(ctx.io.cwd, file)}${wroteConfig ? ' and memalign.config.yaml' : ''}.`,
    '',
    'Next:',
    `  1. Edit the instructions and output in judges/${name}.yaml.`,
    `  2. memalign judge ${name} records.jsonl            # verdicts → records.verdicts.jsonl`,
    `  3. memalign feedback review ${name} records.verdicts.jsonl   # agree/disagree, say why`,
    `     (or: memalign feedback import ${name} feedback.csv --map inputs=question,outputs=answer,value=label,rationale=comment)`,
    `  4. memalign align ${name}                          # learn guidelines and examples`,
    `  5. memalign eval ${name} labelled.jsonl --compare  # agreement before/after`,
  ].join('\n'));
}
