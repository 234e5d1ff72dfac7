import type { Episode, EpisodeTokens, Json } from '../types.ts';
import { countTokens } from '../text/tokens.ts';
import { fieldText } from './render-record.ts';

// Texts longer than this are not counted when stored: a recalled example always shows them cut,
// and the cut counts them anyway; counting a huge trace at align time would only cost.
const MAX_COUNTED_CHARS = 65_536;

/**
 * The token counts kept with an episode: every record field but the id, the expert's rationale,
 * the judge's rationale — each text as a recalled example would show it before any cut.
 *
 * @example
 * countEpisodeTokens(episode).fields.outputs; // 42
 */
export function countEpisodeTokens(episode: Pick<Episode, 'record' | 'rationale' | 'judgeVerdict'>): EpisodeTokens {
  const fields: EpisodeTokens['fields'] = {};
  for (const [name, value] of Object.entries(episode.record)) {
    if (name === 'id') continue;
    const n = count(fieldText(value as Json));
    if (n !== undefined) fields[name] = n;
  }
  const out: EpisodeTokens = { fields };
  const rationale = count(episode.rationale);
  if (rationale !== undefined) out.rationale = rationale;
  const judgeRationale = count(episode.judgeVerdict?.rationale);
  if (judgeRationale !== undefined) out.judgeRationale = judgeRationale;
  return out;
}

function count(text: string | undefined): number | undefined {
  return text === undefined || text.length > MAX_COUNTED_CHARS ? undefined : countTokens(text);
}
