// Turns the coverage V8 wrote for Node.js functions (NODE_V8_COVERAGE, one JSON file per
// process) into an lcov tracefile of their code folders, the shape of the Python report.
//
//   node lambdacheck_coverage.mjs V8_DIR OUT.info SOURCE_DIR...
//
// Prints {"lines": N, "covered": M} on standard output. Every .js, .mjs and .cjs file below a
// source folder (node_modules left out) is in the report, at 0% when it never loaded. A line's
// count is the count of the innermost V8 range holding its first character that is not a blank:
// V8's block coverage nests ranges, an inner one overriding the function around it.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const [v8Dir, outFile, ...sourceDirs] = process.argv.slice(2);
const roots = sourceDirs.map((dir) => path.resolve(dir) + path.sep);
const isSource = (file) => roots.some((root) => file.startsWith(root)) &&
  !file.split(path.sep).includes('node_modules') && /\.(c|m)?js$/.test(file);

// Per file: a count per character offset, summed over the processes that loaded it.
const counts = new Map();

function countsFor(file, length) {
  if (!counts.has(file))
    counts.set(file, new Float64Array(length));
  return counts.get(file);
}

// One script's ranges applied outermost first, so inner (block) ranges override.
function apply(file, functions) {
  let source;
  try {
    source = fs.readFileSync(file, 'utf8');
  } catch {
    return;
  }
  const ranges = functions.flatMap((f) => f.ranges)
    .sort((a, b) => a.startOffset - b.startOffset || b.endOffset - a.endOffset);
  const mine = new Float64Array(source.length);
  for (const r of ranges)
    mine.fill(r.count, r.startOffset, Math.min(r.endOffset, source.length));
  const total = countsFor(file, source.length);
  for (let i = 0; i < total.length && i < mine.length; i++)
    total[i] += mine[i];
}

for (const name of fs.existsSync(v8Dir) ? fs.readdirSync(v8Dir) : []) {
  if (!name.endsWith('.json'))
    continue;
  let data;
  try {
    data = JSON.parse(fs.readFileSync(path.join(v8Dir, name), 'utf8'));
  } catch {
    continue; // a process killed while writing: its data is lost, the rest stands
  }
  for (const script of data.result ?? []) {
    if (!script.url?.startsWith('file://'))
      continue;
    const file = fileURLToPath(script.url);
    if (isSource(file))
      apply(file, script.functions);
  }
}

// Files that never loaded count too.
function walk(dir) {
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory() && entry.name !== 'node_modules' && !entry.name.startsWith('.'))
      walk(full);
    else if (entry.isFile() && isSource(full) && !counts.has(full))
      counts.set(full, null);
  }
}
for (const dir of sourceDirs)
  if (fs.existsSync(dir))
    walk(path.resolve(dir));

let lines = 0;
let covered = 0;
const out = [];
for (const [file, perChar] of [...counts.entries()].sort(([a], [b]) => a.localeCompare(b))) {
  const source = fs.readFileSync(file, 'utf8');
  out.push('TN:', `SF:${file}`);
  let found = 0;
  let hit = 0;
  let offset = 0;
  source.split('\n').forEach((text, index) => {
    const first = text.search(/\S/);
    if (first >= 0) {
      const count = perChar ? perChar[offset + first] : 0;
      out.push(`DA:${index + 1},${count}`);
      found++;
      hit += count > 0 ? 1 : 0;
    }
    offset += text.length + 1;
  });
  out.push(`LF:${found}`, `LH:${hit}`, 'end_of_record');
  lines += found;
  covered += hit;
}
fs.writeFileSync(outFile, out.join('\n') + '\n');
process.stdout.write(JSON.stringify({ lines, covered }) + '\n');
