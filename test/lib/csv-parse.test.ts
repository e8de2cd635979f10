// The roster's CSV parser (src/lib/csv-parse.ts), ported from d3-dsv to keep d3-dsv's formatter out
// of the bundle (docs/architecture.md#bundle): it must split every input exactly as d3-dsv does,
// since the roster's line numbers and field counts come from it (docs/people.md#the-roster).
import { csvParseRows as d3CsvParseRows } from "d3-dsv";
import { describe, expect, it } from "vitest";
import { csvParseRows } from "../../src/lib/csv-parse";

/** Every character that changes how a line splits, and two that do not. */
const ALPHABET = ['"', ",", "\n", "\r", "a", "é"];

/** Every string of up to `max` characters over ALPHABET (6^0 + … + 6^max of them). */
function* allStrings(max: number): Generator<string> {
  let level = [""];
  for (let length = 0; length <= max; length += 1) {
    yield* level;
    level = level.flatMap((text) => ALPHABET.map((c) => text + c));
  }
}

describe("csvParseRows", () => {
  it("splits RFC 4180 records: quoted commas, quotes and line breaks, any line ending", () => {
    expect(csvParseRows('email,name\r\na@x.example,"Doe, ""Jo""\nJr"\rb@x.example,B\n')).toEqual([
      ["email", "name"],
      ["a@x.example", 'Doe, "Jo"\nJr'],
      ["b@x.example", "B"],
    ]);
    expect(csvParseRows("")).toEqual([]);
    expect(csvParseRows("a\n\nb")).toEqual([["a"], [""], ["b"]]);
  });

  it("splits every string of up to 7 quote, comma, line-break and other characters as d3-dsv does", () => {
    let count = 0;
    for (const text of allStrings(7)) {
      count += 1;
      expect(csvParseRows(text), JSON.stringify(text)).toEqual(d3CsvParseRows(text));
    }
    expect(count).toBe(335_923);
  });

  it("splits longer random files as d3-dsv does", () => {
    let seed = 42;
    const random = () => {
      seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    for (let n = 0; n < 2_000; n += 1) {
      const length = Math.floor(random() * 200);
      let text = "";
      for (let i = 0; i < length; i += 1) text += ALPHABET[Math.floor(random() * ALPHABET.length)];
      expect(csvParseRows(text), JSON.stringify(text)).toEqual(d3CsvParseRows(text));
    }
  });
});
