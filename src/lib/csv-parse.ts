/**
 * CSV records to fields, as d3-dsv 3.0.2's `csvParseRows` does them (RFC 4180: quoted fields may
 * hold commas, quotes and line breaks; lines end in LF, CRLF or CR; one trailing line break is
 * dropped). Ported here because the Worker needs only this function and d3-dsv's module keeps its
 * whole formatter with it (docs/architecture.md#bundle). test/lib/csv-parse.test.ts compares the
 * two on every input it generates.
 *
 * Ported from d3-dsv, Copyright 2013-2026 Mike Bostock, under this permission notice:
 * Permission to use, copy, modify, and/or distribute this software for any purpose with or without
 * fee is hereby granted, provided that the above copyright notice and this permission notice
 * appear in all copies. THE SOFTWARE IS PROVIDED "AS IS" AND THE AUTHOR DISCLAIMS ALL WARRANTIES
 * WITH REGARD TO THIS SOFTWARE INCLUDING ALL IMPLIED WARRANTIES OF MERCHANTABILITY AND FITNESS. IN
 * NO EVENT SHALL THE AUTHOR BE LIABLE FOR ANY SPECIAL, DIRECT, INDIRECT, OR CONSEQUENTIAL DAMAGES
 * OR ANY DAMAGES WHATSOEVER RESULTING FROM LOSS OF USE, DATA OR PROFITS, WHETHER IN AN ACTION OF
 * CONTRACT, NEGLIGENCE OR OTHER TORTIOUS ACTION, ARISING OUT OF OR IN CONNECTION WITH THE USE OR
 * PERFORMANCE OF THIS SOFTWARE.
 */
const QUOTE = 34;
const NEWLINE = 10;
const RETURN = 13;
const COMMA = 44;
const EOL = Symbol("end of line");
const EOF = Symbol("end of file");

type Token = string | typeof EOL | typeof EOF;

export function csvParseRows(text: string): string[][] {
  const rows: string[][] = [];
  const token = csvTokens(text);
  let t = token();
  while (t !== EOF) {
    const row: string[] = [];
    while (t !== EOL && t !== EOF) {
      row.push(t);
      t = token();
    }
    rows.push(row);
    t = token();
  }
  return rows;
}

/** The fields of `text` one at a time, with EOL after each record's last and EOF at the end. */
function csvTokens(text: string): () => Token {
  let end = text.length;
  let at = 0;
  let eof = end <= 0;
  let eol = false;
  // One trailing line break is no empty record.
  if (text.charCodeAt(end - 1) === NEWLINE) end -= 1;
  if (text.charCodeAt(end - 1) === RETURN) end -= 1;

  /** Consumes the line break at `at`, if any; true when there was one. */
  const lineBreak = (c: number) => {
    if (c === NEWLINE) return true;
    if (c !== RETURN) return false;
    if (text.charCodeAt(at) === NEWLINE) at += 1;
    return true;
  };

  const quoted = (): string => {
    const start = at;
    // Up to the closing quote: a doubled quote is an escaped one.
    for (;;) {
      const inside = at < end;
      at += 1;
      if (inside && text.charCodeAt(at) !== QUOTE) continue;
      at += 1;
      if (text.charCodeAt(at) !== QUOTE) break;
    }
    const close = at;
    // The character after the closing quote ends the field, whatever it is.
    if (close >= end) eof = true;
    else {
      at += 1;
      eol = lineBreak(text.charCodeAt(close));
    }
    return text.slice(start + 1, close - 1).replace(/""/g, '"');
  };

  return () => {
    if (eof) return EOF;
    if (eol) {
      eol = false;
      return EOL;
    }
    if (text.charCodeAt(at) === QUOTE) return quoted();
    const start = at;
    while (at < end) {
      const i = at;
      const c = text.charCodeAt(i);
      at += 1;
      eol = lineBreak(c);
      if (eol || c === COMMA) return text.slice(start, i);
    }
    eof = true;
    return text.slice(start, end);
  };
}
