// CSV cells (docs/api.md#user-accounts): RFC 4180 quoting, formula triggers neutralised wherever a
// spreadsheet could start a cell (OWASP CSV injection), control characters removed.
import { describe, expect, it } from "vitest";
import { csvCell, csvRow } from "../../src/lib/csv";

/** Every character that makes a spreadsheet evaluate a cell, in ASCII and fullwidth form. */
const TRIGGERS = ["=", "+", "-", "@", "|", "＝", "＋", "－", "＠", "｜"];
/** Characters a spreadsheet import may split a line on. */
const SEPARATORS = [",", ";", "|", "\t", "\r", "\n"];
/** Whitespace a spreadsheet skips before a formula. */
const WHITESPACE = [" ", "  ", "\u00a0", "\u3000", "\n", "\r\n", " \t"];

/** The cell's text as a spreadsheet reads it: RFC 4180 quotes removed. */
const unquote = (cell: string) => (cell.startsWith('"') ? cell.slice(1, -1).replace(/""/g, '"') : cell);

/**
 * Every cell a spreadsheet could make of this text, splitting on any separator and skipping
 * leading whitespace: none may start with a trigger (a leading `'` makes the rest text).
 */
function expectNoFormula(value: string) {
  const text = unquote(csvCell(value));
  for (const piece of text.split(/[,;|\t\r\n]/)) {
    const start = piece.replace(/^\s+/, "")[0];
    expect(TRIGGERS, `${JSON.stringify(value)} → ${JSON.stringify(text)}`).not.toContain(start);
  }
  // Tab or CR as the very first character also starts a formula in some spreadsheets.
  expect(text, JSON.stringify(value)).not.toMatch(/^[\t\r]/);
}

describe("csvCell", () => {
  it("writes null and undefined as empty cells, numbers and booleans as text", () => {
    expect([csvCell(null), csvCell(undefined), csvCell(3), csvCell(true)]).toEqual(["", "", "3", "true"]);
  });

  it.each(TRIGGERS)("neutralises %j at the start, after whitespace and after every separator", (t) => {
    expect(unquote(csvCell(`${t}1+1`))).toBe(`'${t}1+1`);
    for (const space of WHITESPACE) expectNoFormula(`${space}${t}1+1`);
    for (const separator of SEPARATORS) {
      expectNoFormula(`x${separator}${t}1+2${separator}`);
      expectNoFormula(`x${separator} ${t}1+2`);
    }
  });

  it.each([
    ["x;=1+2;", "x;'=1+2;"],
    [" =1+1", "' =1+1"],
    ["\n=1+1", "'\n'=1+1"],
    ["＝1+1", "'＝1+1"],
    ["|calc", "'|calc"],
    ["=cmd|' /C calc'!A0", "'=cmd|' /C calc'!A0"],
    ["\tx", "'\tx"],
    ["\rx", "'\rx"],
    ["@SUM(A1)", "'@SUM(A1)"],
    ["Doe, =1+1", "Doe,' =1+1"],
  ])("neutralises %j as %j", (input, expected) => {
    expect(unquote(csvCell(input))).toBe(expected);
    expectNoFormula(input);
  });

  it("removes NUL, ESC, DEL and C1 controls, keeping tab, CR and LF", () => {
    expect(csvCell("Jane\u0000Doe")).toBe("JaneDoe");
    expect(csvCell("\u001b[31mred\u001b[0m")).toBe("[31mred[0m");
    expect(csvCell("a\u0007b\u0008c\u007fd\u0085e\u009b1m")).toBe("abcde1m");
    expect(csvCell("a\tb")).toBe("a\tb");
    expect(csvCell("a\r\nb")).toBe('"a\r\nb"');
    // Removed first, so a control character cannot hide a trigger.
    expect(csvCell("\u0000=1+1")).toBe("'=1+1");
  });

  it("leaves ordinary text as it is, hyphens and plus signs inside words included", () => {
    for (const text of ["jane@example.com", "jane+tag@example.com", "Jean-Luc", "2026-11-29T10:00:01.870Z"]) {
      expect(csvCell(text)).toBe(text);
    }
    expect(csvCell("allow: Zone Read, DNS Read (account); deny: R2 (2 resources)")).toBe(
      '"allow: Zone Read, DNS Read (account); deny: R2 (2 resources)"',
    );
  });

  it("quotes cells holding a comma, a quote or a line break, doubling quotes", () => {
    expect(csvCell("Doe, Jane")).toBe('"Doe, Jane"');
    expect(csvCell('say "hi"')).toBe('"say ""hi"""');
    expect(csvCell("a\nb")).toBe('"a\nb"');
  });

  it("ends each row with CRLF", () => {
    expect(csvRow(["a", null, "=x"])).toBe("a,,'=x\r\n");
  });
});
