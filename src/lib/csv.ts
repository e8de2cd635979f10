/**
 * RFC 4180 CSV cells, safe to open in a spreadsheet: a cell that would start with =, +, -, @,
 * tab or carriage return is prefixed with a single quote so it is never evaluated as a formula
 * (docs/api.md#user-accounts), then quoted if it holds a comma, quote or line break.
 */
const FORMULA_START = /^[=+\-@\t\r]/;
const NEEDS_QUOTES = /[",\r\n]/;

export function csvCell(value: string | number | boolean | null | undefined): string {
  if (value === null || value === undefined) return "";
  let text = String(value);
  if (FORMULA_START.test(text)) text = `'${text}`;
  return NEEDS_QUOTES.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/** One CSV record with its CRLF terminator. */
export const csvRow = (cells: (string | number | boolean | null | undefined)[]): string =>
  `${cells.map(csvCell).join(",")}\r\n`;
