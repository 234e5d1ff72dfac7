type Schema = { [key: string]: unknown };

/**
 * A deterministic, valid instance of a JSON Schema (the subset structured output uses): objects
 * with required properties, arrays at their minimum length (at least one item), enums and consts,
 * numbers within bounds, `anyOf`/`oneOf` (first branch), nullable types and local `$ref`s.
 *
 * @example
 * instanceOfSchema({ type: 'object', properties: { n: { type: 'integer', minimum: 3 } }, required: ['n'] }); // { n: 3 }
 */
export function instanceOfSchema(schema: Schema, root: Schema = schema, depth = 0): unknown {
  if (depth > 20) return null;
  if (typeof schema.$ref === 'string') return instanceOfSchema(resolveRef(schema.$ref, root), root, depth + 1);
  if ('const' in schema) return schema.const;
  if (Array.isArray(schema.enum)) return schema.enum[0];
  const branches = (schema.anyOf ?? schema.oneOf) as Schema[] | undefined;
  if (Array.isArray(branches) && branches.length > 0) return instanceOfSchema(branches.find((b) => b.type !== 'null') ?? branches[0], root, depth + 1);
  const type = Array.isArray(schema.type) ? (schema.type.find((t) => t !== 'null') ?? 'null') : schema.type;
  switch (type) {
    case 'object': {
      const props = (schema.properties ?? {}) as { [k: string]: Schema };
      const out: { [k: string]: unknown } = {};
      for (const [k, s] of Object.entries(props)) out[k] = instanceOfSchema(s, root, depth + 1);
      return out;
    }
    case 'array': {
      const n = Math.max(1, Number(schema.minItems ?? 1));
      const count = schema.maxItems !== undefined ? Math.min(n, Number(schema.maxItems)) : n;
      return Array.from({ length: count }, () => instanceOfSchema((schema.items ?? {}) as Schema, root, depth + 1));
    }
    case 'integer': return Math.ceil(Number(schema.minimum ?? (schema.maximum !== undefined ? Math.min(0, Number(schema.maximum)) : 0)));
    case 'number': return Number(schema.minimum ?? (schema.maximum !== undefined ? Math.min(0, Number(schema.maximum)) : 0));
    case 'boolean': return true;
    case 'null': return null;
    case 'string': {
      const min = Number(schema.minLength ?? 0);
      const text = 'loopback';
      return text.length >= min ? text.slice(0, Number(schema.maxLength ?? text.length)) : text.padEnd(min, 'x');
    }
    default: return null;
  }
}

function resolveRef(ref: string, root: Schema): Schema {
  const parts = ref.replace(/^#\/?/, '').split('/').filter(Boolean);
  let node: unknown = root;
  for (const p of parts) node = (node as Schema)?.[p.replace(/~1/g, '/').replace(/~0/g, '~')];
  return (node ?? {}) as Schema;
}
