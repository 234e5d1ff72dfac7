// The AI SDK reports provider warnings (an unsupported setting, a deprecated option) by printing
// them. memalign routes them instead: each distinct warning becomes a `warning` event of the open
// judges, with what it means, and is printed (once, explained) only when no judge is listening.
// A user who set `AI_SDK_LOG_WARNINGS` themselves keeps their own choice.

type Listener = (message: string) => void;
const listeners = new Set<Listener>();
const seen = new Set<string>();

interface SdkWarning { type: string; feature?: string; setting?: string; details?: string; message?: string }

function explain(w: SdkWarning, provider?: string, model?: string): string {
  const who = provider && model ? `${provider} (${model})` : provider ?? 'the model provider';
  const what = w.type === 'unsupported' ? `does not support "${w.feature}"${w.details ? ` (${w.details})` : ''}; memalign asked for it, the call went ahead without it`
    : w.type === 'compatibility' ? `runs "${w.feature}" in a compatibility mode${w.details ? ` (${w.details})` : ''}`
    : w.type === 'deprecated' ? `says the setting "${w.setting}" is deprecated${w.message ? `: ${w.message}` : ''}`
    : w.message ?? JSON.stringify(w);
  return `${who} ${what}`.replace(/\.*$/, '.');
}

/** Installs the route (once; a no-op when the user configured the AI SDK's warning log). */
export function routeProviderWarnings(): void {
  const g = globalThis as { AI_SDK_LOG_WARNINGS?: unknown };
  if (g.AI_SDK_LOG_WARNINGS !== undefined) return;
  g.AI_SDK_LOG_WARNINGS = (options: { warnings: SdkWarning[]; provider?: string; model?: string }) => {
    for (const w of options.warnings) {
      const message = explain(w, options.provider, options.model);
      if (seen.has(message)) continue;
      seen.add(message);
      if (listeners.size > 0) for (const l of listeners) l(message);
      else process.stderr.write(`memalign: provider warning: ${message}\n`);
    }
  };
}

/**
 * Receives each distinct provider warning as an explained sentence; returns the unsubscribe.
 *
 * @example
 * const off = onProviderWarning((m) => console.error(m)); off();
 */
export function onProviderWarning(listener: Listener): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}
