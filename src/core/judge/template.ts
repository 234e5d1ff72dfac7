/**
 * Instruction templates: `{{ inputs }}`, `{{ outputs }}`, `{{ expectations }}` and named record
 * variables. The template is never filled with record content inline (that would let a record
 * pass for instructions); variables become references to delimited blocks instead.
 */

const VARIABLE = /\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}/g;

/** The standard record fields a template may use. */
export const STANDARD_FIELDS = ['inputs', 'outputs', 'expectations'] as const;

/**
 * Lists the variables a template uses, in order of first use, without duplicates.
 *
 * @example
 * templateVariables('Is {{ outputs }} right for {{inputs}}?'); // ['outputs', 'inputs']
 */
export function templateVariables(template: string): string[] {
  const seen = new Set<string>();
  for (const match of template.matchAll(VARIABLE)) seen.add(match[1]);
  return [...seen];
}

/**
 * Replaces each variable by a reference to its delimited block, e.g. `{{ outputs }}` → `the OUTPUTS block`.
 *
 * @example
 * renderInstructions('Judge {{ outputs }}.'); // 'Judge the OUTPUTS block.'
 */
export function renderInstructions(template: string): string {
  return template.replace(VARIABLE, (_, name: string) => `the ${blockName(name)} block`);
}

/** The delimiter name of a record field's block. */
export function blockName(field: string): string {
  return field.toUpperCase();
}
