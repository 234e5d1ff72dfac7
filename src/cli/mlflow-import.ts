import { readFileSync } from 'node:fs';
import { ValidationError } from '../index.ts';

type Obj = { [k: string]: unknown };

/** True when a JSON text looks like an MLflow trace export (a list of traces with `info`). */
export function isMlflowExport(text: string): boolean {
  try {
    const d = JSON.parse(text) as unknown;
    const traces = Array.isArray(d) ? d : (d as Obj)?.traces;
    return Array.isArray(traces) && traces.length > 0 && typeof (traces[0] as Obj)?.info === 'object';
  } catch {
    return false;
  }
}

/**
 * Reads human assessments from an MLflow trace export (as `mlflow.search_traces(...).to_json` or
 * the traces REST API return them): each trace's root-span inputs/outputs become the record, and
 * each human assessment whose name matches (the judge's name, as the reference matches) becomes
 * feedback with its value and rationale.
 *
 * @example
 * const { raw } = fromMlflowTraces('traces.json', 'correctness');
 */
export function fromMlflowTraces(file: string, assessmentName: string): { raw: Obj[]; sources: { file: string; line?: number }[] } {
  let data: unknown;
  try {
    data = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new ValidationError(`MLflow export ${file}`, [{ file, path: '', message: `not valid JSON (${(error as Error).message})` }]);
  }
  const traces = (Array.isArray(data) ? data : (data as Obj)?.traces) as Obj[] | undefined;
  if (!Array.isArray(traces)) throw new ValidationError(`MLflow export ${file}`, [{ file, path: '', message: 'expected a list of traces (or {"traces": [...]})' }]);
  const raw: Obj[] = [];
  const sources: { file: string; line?: number }[] = [];
  traces.forEach((trace, i) => {
    const info = (trace.info ?? {}) as Obj;
    const id = String(info.trace_id ?? info.request_id ?? `trace-${i}`);
    const spans = ((trace.data as Obj | undefined)?.spans ?? []) as Obj[];
    const root = spans.find((s) => !s.parent_id && !s.parent_span_id) ?? spans[0];
    const attrs = (root?.attributes ?? {}) as Obj;
    const inputs = parse(attrs['mlflow.spanInputs']) ?? parse(info.request) ?? info.request_preview;
    const outputs = parse(attrs['mlflow.spanOutputs']) ?? parse(info.response) ?? info.response_preview;
    const assessments = (info.assessments ?? []) as Obj[];
    // Expectations (ground truth) logged on the trace become the record's expectations, as MLflow passes them to judges.
    const expectations: Obj = {};
    for (const a of assessments) {
      if (a.expectation === undefined) continue;
      const n = String(a.assessment_name ?? a.name ?? '').trim();
      if (n !== '') expectations[n] = ((a.expectation ?? {}) as Obj).value ?? null;
    }
    const record: Obj = { id, inputs: inputs ?? null, outputs: outputs ?? null };
    if (Object.keys(expectations).length > 0) record.expectations = expectations;
    for (const a of assessments) {
      const name = a.assessment_name ?? a.name;
      const source = (a.source ?? {}) as Obj;
      // Names match as MLflow matches them: trimmed, case-insensitively.
      if (String(name ?? '').trim().toLowerCase() !== assessmentName.trim().toLowerCase() || a.feedback === undefined) continue;
      if (source.source_type && String(source.source_type).toUpperCase() !== 'HUMAN') continue;
      const value = ((a.feedback ?? {}) as Obj).value;
      raw.push({
        id: String(a.assessment_id ?? `${id}:${name}:${source.source_id ?? ''}`),
        record,
        value, rationale: a.rationale, author: source.source_id,
        createdAt: typeof a.create_time === 'string' ? a.create_time : typeof a.create_time_ms === 'number' ? new Date(a.create_time_ms).toISOString() : undefined,
      });
      sources.push({ file });
    }
  });
  if (raw.length === 0) throw new ValidationError(`MLflow export ${file}`, [{ file, path: 'assessments', message: `no human assessment named "${assessmentName}" in ${traces.length} traces: pass --assessment NAME` }]);
  return { raw, sources };
}

function parse(v: unknown): unknown {
  if (typeof v !== 'string') return v ?? undefined;
  try { return JSON.parse(v); } catch { return v; }
}
