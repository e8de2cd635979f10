/**
 * RFC 4180 CSV cells, safe to open in a spreadsheet and to print in a terminal
 * (docs/api.md#user-accounts). Members choose their own names in Cloudflare, so every cell is
 * treated as hostile, following the OWASP CSV-injection guidance:
 *
 * 1. Control characters other than tab, CR and LF (NUL, ESC, DEL, the C1 range with its 8-bit
 *    CSI…) are removed: they have no place in a name and can drive a terminal that prints the file.
 * 2. A formula trigger is neutralised wherever a spreadsheet could start a cell with it. Triggers
 *    are `=`, `+`, `-`, `@`, `|` (DDE, `|calc`), their fullwidth forms `＝＋－＠｜` (some
 *    spreadsheets fold them to ASCII), and tab or CR as a cell's first character. A cell can start
 *    at the beginning of ours, or after any character an import may split on: `,` `;` `|`, tab, CR
 *    or LF (a file opened with `;` as separator turns `x;=1+2;` into the cell `=1+2`).
 *    Spreadsheets skip leading whitespace, so whitespace (spaces, NBSP, ideographic space, line
 *    breaks) before the trigger does not help it. At each such place a `'` is inserted, which
 *    makes the spreadsheet read what follows as text: `=1+1` → `'=1+1`, ` =1+1` → `' =1+1`,
 *    `x;=1+2;` → `x;'=1+2;`, `|calc` → `'|calc`.
 * 3. The result is quoted if it holds a comma, quote or line break, with quotes doubled.
 */
/** C0 controls except tab (09), LF (0A) and CR (0D); DEL; the C1 controls U+0080–U+009F. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: removing control characters is the point
const CONTROL = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f]/g;
/**
 * A place where a spreadsheet may start a cell (the start, or just after a separator), followed by
 * a trigger after optional whitespace, or directly by tab or CR. The `'` goes at that place.
 */
const CELL_START_TRIGGER = /(?<=^|[,;|\t\r\n])(?=\s*[=+\-@|＝＋－＠｜]|[\t\r])/g;
const NEEDS_QUOTES = /[",\r\n]/;

export function csvCell(value: string | number | boolean | null | undefined): string {
  if (value === null || value === undefined) return "";
  const text = String(value).replace(CONTROL, "").replace(CELL_START_TRIGGER, "'");
  return NEEDS_QUOTES.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/** One CSV record with its CRLF terminator. */
export const csvRow = (cells: (string | number | boolean | null | undefined)[]): string =>
  `${cells.map(csvCell).join(",")}\r\n`;
