/**
 * Reading an uploaded roster (docs/people.md#the-roster): CSV (header `email,name,status`) or JSON
 * (`{"people": [...]}`), validated whole before anything is stored. Emails are trimmed and
 * lower-cased; a duplicate email is an error naming both lines. Errors name the CSV line (as a
 * text editor numbers it) or the JSON index, so the admin can fix the file.
 */
import { csvParseRows } from "d3-dsv";
import type { ErrorDetail } from "../lib/errors";
import { err, ok, type Result } from "../lib/result";

export const ROSTER_STATUSES = ["active", "leaver"] as const;
export type RosterStatus = (typeof ROSTER_STATUSES)[number];

export interface RosterPerson {
  email: string;
  name: string | null;
  status: RosterStatus;
}

/** The most people one roster may hold (docs/people.md#the-roster). */
export const MAX_ROSTER_PEOPLE = 100_000;
/** Errors reported per upload: enough to fix a file in a few rounds, bounded for a 10 MiB one. */
export const MAX_ROSTER_ERRORS = 50;
const MAX_EMAIL_LENGTH = 320;
const MAX_NAME_LENGTH = 200;
const COLUMNS = ["email", "name", "status"] as const;
const EMAIL = /^[^\s@]+@[^\s@]+$/;
// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what it finds.
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/;

export type RosterProblem = { message: string; details: ErrorDetail[] };

/** Collects problems up to MAX_ROSTER_ERRORS; `full` once more would be dropped. */
class Problems {
  readonly details: ErrorDetail[] = [];
  total = 0;
  add(path: string, message: string) {
    this.total++;
    if (this.details.length < MAX_ROSTER_ERRORS) this.details.push({ path, message });
  }
  result(what: string): RosterProblem {
    const shown = this.total > this.details.length ? ` (the first ${this.details.length} are listed)` : "";
    return {
      message: `The roster has ${this.total} ${this.total === 1 ? "problem" : "problems"}${shown}; nothing was changed. Fix ${what} and upload it again.`,
      details: this.details,
    };
  }
}

/** One person's fields, checked and normalised; `where` names the line or index in messages. */
function readPerson(
  raw: { email: unknown; name: unknown; status: unknown },
  where: string,
  problems: Problems,
): RosterPerson | null {
  const before = problems.total;
  const email = typeof raw.email === "string" ? raw.email.trim().toLowerCase() : "";
  if (email === "") problems.add(where, "email is missing");
  else if (email.length > MAX_EMAIL_LENGTH || !EMAIL.test(email) || CONTROL.test(email)) {
    problems.add(where, `email "${email.slice(0, 80)}" is not an email address`);
  }
  let name: string | null = null;
  // Runs of white space (a line break in a quoted CSV field included) read as one space.
  if (typeof raw.name === "string" && raw.name.trim() !== "")
    name = raw.name.normalize("NFC").replace(/\s+/g, " ").trim();
  else if (raw.name !== undefined && raw.name !== null && typeof raw.name !== "string") {
    problems.add(where, "name must be a string");
  }
  if (name !== null && (name.length > MAX_NAME_LENGTH || CONTROL.test(name))) {
    problems.add(where, `name must be at most ${MAX_NAME_LENGTH} characters without control characters`);
  }
  const status = typeof raw.status === "string" ? raw.status.trim().toLowerCase() : raw.status;
  const known =
    status === undefined ||
    status === null ||
    status === "" ||
    ROSTER_STATUSES.includes(status as RosterStatus);
  if (!known)
    problems.add(
      where,
      `status must be active or leaver (empty means active), not "${String(raw.status).slice(0, 40)}"`,
    );
  if (problems.total > before) return null;
  return { email, name, status: status === "leaver" ? "leaver" : "active" };
}

/** Adds a person unless the email was seen before (then both places are named). */
function addUnique(
  people: RosterPerson[],
  seen: Map<string, string>,
  person: RosterPerson,
  where: string,
  problems: Problems,
) {
  const first = seen.get(person.email);
  if (first !== undefined) {
    problems.add(where, `${person.email} is also on ${first}: each email may appear once`);
    return;
  }
  seen.set(person.email, where);
  people.push(person);
}

function checkSize(people: number, problems: Problems) {
  if (people === 0 && problems.total === 0) {
    problems.add("roster", "the roster is empty; to remove the roster use DELETE /v1/roster");
  }
  if (people > MAX_ROSTER_PEOPLE) {
    problems.add("roster", `the roster has ${people} people; at most ${MAX_ROSTER_PEOPLE} are accepted`);
  }
}

/** Reads the header line: `email` required, `name` and `status` optional, nothing else. */
function readHeader(header: string[], problems: Problems): Map<string, number> | null {
  const columns = new Map<string, number>();
  header.forEach((raw, index) => {
    const name = raw.trim().toLowerCase();
    if (!(COLUMNS as readonly string[]).includes(name)) {
      problems.add("line 1", `unknown column "${raw.slice(0, 40)}": the columns are email, name and status`);
    } else if (columns.has(name)) problems.add("line 1", `column ${name} appears twice`);
    else columns.set(name, index);
  });
  if (!columns.has("email"))
    problems.add("line 1", "the header has no email column (expected email,name,status)");
  return problems.total > 0 ? null : columns;
}

/**
 * A CSV roster. d3-dsv parses RFC 4180 (quoted fields may hold commas, quotes and line breaks);
 * a record's line is one more than the line breaks before it, counted from the parsed fields.
 */
export function parseRosterCsv(text: string): Result<RosterPerson[], RosterProblem> {
  const problems = new Problems();
  const rows = csvParseRows(text.replace(/^\uFEFF/, ""));
  const columns = rows.length > 0 ? readHeader(rows[0]!, problems) : null;
  if (rows.length === 0) problems.add("line 1", "the file is empty; expected the header email,name,status");
  if (!columns) return err(problems.result("the header"));
  const people: RosterPerson[] = [];
  const seen = new Map<string, string>();
  let line = 1 + lineBreaks(rows[0]!);
  for (const row of rows.slice(1)) {
    line += 1;
    const where = `line ${line}`;
    line += lineBreaks(row);
    if (row.every((field) => field.trim() === "")) continue; // blank lines are not people
    if (row.length !== columns.size) {
      problems.add(where, `has ${row.length} fields; the header has ${columns.size}`);
      continue;
    }
    const field = (name: string) => (columns.has(name) ? row[columns.get(name)!] : undefined);
    const person = readPerson(
      { email: field("email"), name: field("name"), status: field("status") },
      where,
      problems,
    );
    if (person) addUnique(people, seen, person, where, problems);
  }
  checkSize(people.length, problems);
  return problems.total > 0 ? err(problems.result("those lines")) : ok(people);
}

const lineBreaks = (row: string[]) =>
  row.reduce((n, field) => n + (field.match(/\r\n|\r|\n/g)?.length ?? 0), 0);

/** A JSON roster: `{"people": [{"email", "name"?, "status"?}]}`. */
export function parseRosterJson(text: string): Result<RosterPerson[], RosterProblem> {
  const problems = new Problems();
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    problems.add("body", "the body is not valid JSON");
    return err(problems.result("the body"));
  }
  const list = (body as { people?: unknown } | null)?.people;
  if (!Array.isArray(list)) {
    problems.add("people", 'expected {"people": [{"email": …, "name": …, "status": "active" | "leaver"}]}');
    return err(problems.result("the body"));
  }
  const people: RosterPerson[] = [];
  const seen = new Map<string, string>();
  list.forEach((item: unknown, index) => {
    const where = `people[${index}]`;
    if (typeof item !== "object" || item === null || Array.isArray(item)) {
      problems.add(where, "each person is an object with email, name and status");
      return;
    }
    const { email, name, status } = item as Record<string, unknown>;
    const person = readPerson({ email, name, status }, where, problems);
    if (person) addUnique(people, seen, person, where, problems);
  });
  checkSize(people.length, problems);
  return problems.total > 0 ? err(problems.result("those entries")) : ok(people);
}
