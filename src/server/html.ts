import MarkdownIt from 'markdown-it';

/** A fragment of HTML that is already safe to send (built by `html` or `markdown`). */
export class SafeHtml {
  readonly text: string;
  constructor(text: string) { this.text = text; }
  toString(): string { return this.text; }
}

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;', '`': '&#96;' };

/** Escapes text for HTML content and quoted attributes. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"'`]/g, (c) => ESCAPES[c]);
}

type Part = SafeHtml | string | number | boolean | null | undefined | Part[];

function render(part: Part): string {
  if (part === null || part === undefined || part === false) return '';
  if (Array.isArray(part)) return part.map(render).join('');
  if (part instanceof SafeHtml) return part.text;
  return escapeHtml(String(part));
}

/**
 * HTML by tagged template: every interpolated value is escaped unless it is itself `SafeHtml`
 * (another `html` fragment or rendered Markdown). Nothing untrusted can reach a page raw.
 *
 * @example
 * html`<p>${userText}</p>`;
 */
export function html(strings: TemplateStringsArray, ...values: Part[]): SafeHtml {
  let out = strings[0];
  for (let i = 0; i < values.length; i++) out += render(values[i]) + strings[i + 1];
  return new SafeHtml(out);
}

// Raw HTML in Markdown is shown as text (html: false); markdown-it refuses javascript:, vbscript:,
// file: and data: links (but images). Links open with no referrer and no opener.
const md = new MarkdownIt({ html: false, linkify: true, breaks: true });
const defaultLink = md.renderer.rules.link_open ?? ((tokens, idx, options, _env, self) => self.renderToken(tokens, idx, options));
md.renderer.rules.link_open = (tokens, idx, options, env, self) => {
  tokens[idx].attrSet('rel', 'noopener noreferrer nofollow');
  tokens[idx].attrSet('target', '_blank');
  return defaultLink(tokens, idx, options, env, self);
};

/** Markdown rendered safely: raw HTML escaped, dangerous links refused. */
export function markdown(text: string): SafeHtml {
  return new SafeHtml(md.render(text));
}

/** Short JSON for display (strings as they are). */
export function shown(value: unknown): string {
  return typeof value === 'string' ? value : JSON.stringify(value);
}
