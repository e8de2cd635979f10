// CSV cells (docs/api.md#user-accounts): RFC 4180 quoting, and formula triggers neutralised so a
// spreadsheet never evaluates a member's name.
import { describe, expect, it } from "vitest";
import { csvCell, csvRow } from "../../src/lib/csv";

describe("csvCell", () => {
  it("writes null and undefined as empty cells, numbers and booleans as text", () => {
    expect([csvCell(null), csvCell(undefined), csvCell(3), csvCell(true)]).toEqual(["", "", "3", "true"]);
  });

  it.each(["=1+1", "+1", "-1", "@SUM(A1)", "\tx", "\rx"])(
    "prefixes the formula trigger %j with a quote",
    (v) => {
      expect(csvCell(v).replace(/^"|"$/g, "").startsWith("'")).toBe(true);
    },
  );

  it("quotes cells holding a comma, a quote or a line break, doubling quotes", () => {
    expect(csvCell("Doe, Jane")).toBe('"Doe, Jane"');
    expect(csvCell('say "hi"')).toBe('"say ""hi"""');
    expect(csvCell("a\nb")).toBe('"a\nb"');
  });

  it("leaves ordinary text as it is", () => {
    expect(csvCell("jane@example.com")).toBe("jane@example.com");
  });

  it("ends each row with CRLF", () => {
    expect(csvRow(["a", null, "=x"])).toBe("a,,'=x\r\n");
  });
});
