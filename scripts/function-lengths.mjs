// `npm run lint` step: no function in src/ longer than MAX_LINES (docs/architecture.md). Long
// functions hide their steps; split them into named functions a test can call.
// `node scripts/function-lengths.mjs --top 10` lists the longest instead of checking.
import fs from "node:fs";
import path from "node:path";
import ts from "typescript";

const MAX_LINES = 60;

function sourceFiles(dir) {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(full);
    return /\.tsx?$/.test(entry.name) ? [full] : [];
  });
}

function functionsOf(file) {
  const source = ts.createSourceFile(file, fs.readFileSync(file, "utf8"), ts.ScriptTarget.Latest, true);
  const found = [];
  const visit = (node) => {
    if (ts.isFunctionLike(node) && "body" in node && node.body) {
      const first = source.getLineAndCharacterOfPosition(node.getStart()).line;
      const last = source.getLineAndCharacterOfPosition(node.getEnd()).line;
      const named = node.name ?? (ts.isVariableDeclaration(node.parent) ? node.parent.name : undefined);
      found.push({
        where: `${file}:${first + 1}`,
        name: named?.getText(source) ?? "(anonymous)",
        lines: last - first + 1,
      });
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found;
}

const all = sourceFiles("src")
  .flatMap(functionsOf)
  .sort((a, b) => b.lines - a.lines);
const top = process.argv.indexOf("--top");
if (top >= 0) {
  for (const f of all.slice(0, Number(process.argv[top + 1] ?? 10)))
    console.log(`${f.lines}\t${f.where}\t${f.name}`);
  process.exit(0);
}
const tooLong = all.filter((f) => f.lines > MAX_LINES);
for (const f of tooLong) {
  console.error(
    `${f.where} ${f.name} is ${f.lines} lines; split it below ${MAX_LINES + 1} (docs/architecture.md).`,
  );
}
process.exit(tooLong.length > 0 ? 1 : 0);
