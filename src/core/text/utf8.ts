/**
 * Bytes of a string in UTF-8, without encoding it. A token of the tokenizers memalign budgets with
 * covers at least one byte, so this is an upper bound of a text's token count that costs nothing
 * to compute: budgets check it first and count tokens only when it does not decide.
 *
 * @example
 * utf8Length('é'); // 2
 */
export function utf8Length(text: string): number {
  let n = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x80) n += 1;
    else if (c < 0x800) n += 2;
    else if (c >= 0xd800 && c < 0xdc00 && i + 1 < text.length) { n += 4; i++; }
    else n += 3;
  }
  return n;
}
