import { readFile } from 'node:fs/promises';
import { parseDocument, isMap, isSeq, LineCounter, type Node } from 'yaml';
import type { JudgeDefinition } from '../core/types.ts';
import { parseJudge } from '../core/judge/definition.ts';
import { ValidationError } from '../core/errors.ts';

/**
 * Loads a judge definition from a YAML or JSON file, reporting every problem with its line.
 *
 * @example
 * const judge = await loadJudge('judges/correctness.yaml');
 */
export async function loadJudge(path: string): Promise<JudgeDefinition> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new ValidationError(`judge file ${path}`, [{ file: path, path: '', message: `cannot read the file (${(error as NodeJS.ErrnoException).code ?? (error as Error).message}): check the path` }]);
  }
  return parseJudgeText(text, path);
}

/**
 * Parses judge text (YAML, of which JSON is a subset), mapping field paths back to lines.
 *
 * @example
 * parseJudgeText('name: j\ninstructions: Is {{ outputs }} right?\noutput: boolean\n', 'j.yaml');
 */
export function parseJudgeText(text: string, file: string): JudgeDefinition {
  const lines = new LineCounter();
  const doc = parseDocument(text.replace(/^\uFEFF/, ''), { lineCounter: lines, prettyErrors: false });
  if (doc.errors.length > 0) {
    throw new ValidationError(`judge file ${file}`, doc.errors.map((e) => ({
      file, line: lines.linePos(e.pos[0]).line, path: '', message: `${e.message.split('\n')[0]}: fix the YAML/JSON syntax`,
    })));
  }
  const locate = (path: (string | number)[]): number | undefined => {
    let node: unknown = doc.contents;
    let line = lineOf(node as Node | null, lines);
    for (const key of path) {
      if (isMap(node)) {
        const pair = node.items.find((p) => (p.key as { value?: unknown } | null)?.value === key);
        if (!pair) break;
        line = lineOf(pair.key as Node, lines) ?? line;
        node = pair.value;
      } else if (isSeq(node) && typeof key === 'number') {
        node = node.items[key];
        line = lineOf(node as Node, lines) ?? line;
      } else break;
    }
    return line;
  };
  return parseJudge(doc.toJS(), { file, locate });
}

function lineOf(node: Node | null | undefined, lines: LineCounter): number | undefined {
  const offset = node?.range?.[0];
  return offset === undefined ? undefined : lines.linePos(offset).line;
}
