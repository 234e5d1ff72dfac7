// Record content, expert rationales, guidelines and model answers are untrusted: printed raw, an
// escape sequence could rewrite the terminal, hide lines or fake a prompt. Everything the CLI
// prints goes through here.

// C0 controls but tab and newline, DEL, C1 controls (U+009B is a one-byte CSI), zero-width and
// bidi controls (which reorder what is displayed), line/paragraph separators.
const UNSAFE = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u200b-\u200f\u2028-\u202e\u2060-\u2064\u2066-\u2069\ufeff]/g;

/**
 * Text made safe for a terminal: control and escape sequences, invisible and reordering
 * characters removed (an escape introducer and the sequence it starts go together).
 *
 * @example
 * terminalSafe('ok\u001b[2J\u001b]0;pwned\u0007'); // 'ok'
 */
export function terminalSafe(text: string): string {
  return text
    // Whole sequences first, so their parameters do not survive as stray text: CSI, OSC, DCS/PM/APC/SOS strings, two-byte escapes.
    .replace(/(?:\u001b\[|\u009b)[0-?]*[ -/]*[@-~]/g, '')
    .replace(/(?:\u001b[\]PX^_]|[\u0090\u0098\u009d\u009e\u009f])[\s\S]*?(?:\u0007|\u001b\\|\u009c|$)/g, '')
    .replace(/\u001b[ -/]*[0-~]/g, '')
    .replace(UNSAFE, '');
}

/**
 * JSON for stdout: like `JSON.stringify`, but every character a terminal could act on is written
 * as a `\u` escape, so the output stays valid, lossless JSON and harmless when printed.
 *
 * @example
 * jsonText({ a: '\u009b2J' }); // '{\n  "a": "\\u009b2J"\n}'
 */
export function jsonText(value: unknown): string {
  return JSON.stringify(value, null, 2).replace(UNSAFE, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}
