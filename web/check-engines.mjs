// check-engines.mjs - every package in package-lock.json must run on the
// oldest Node.js the dashboard supports: Debian 12's own nodejs (18.19), the
// one a fresh Debian 12 gets from scripts/setup.sh. Development machines often
// carry a newer Node.js, on which a package that needs Node 20 installs and
// runs fine; this check fails there too, naming the package.
// Usage: node check-engines.mjs [VERSION]   (default: package.json's engines.node floor)
import { readFileSync } from 'node:fs';

const parse = (v) => v.replace(/^[v=]+/, '').split('.').map((x) => (/^\d+$/.test(x) ? Number(x) : null));
const cmp = (a, b) => {
  for (let i = 0; i < 3; i++) if ((a[i] ?? 0) !== (b[i] ?? 0)) return (a[i] ?? 0) - (b[i] ?? 0);
  return 0;
};

// Whether version `v` (numbers) satisfies one comparator such as ">=18",
// "^14.17.0", "~16", "18.x", "<21" or "*". Throws on what it cannot read.
function satisfiesOne(v, c) {
  const m = /^(>=|<=|>|<|\^|~|=)?\s*v?([\dxX*]+(?:\.[\dxX*]+){0,2})$/.exec(c);
  if (!m) throw new Error(`cannot read engine range "${c}"`);
  const op = m[1] ?? '';
  const want = parse(m[2]);
  const fixed = want.findIndex((x) => x === null);
  const n = fixed < 0 ? want.length : fixed; // how many parts are given
  const w = want.map((x) => x ?? 0);
  switch (op) {
  case '>=': return cmp(v, w) >= 0;
  case '>': return n < 3 ? v.slice(0, n).join('.') !== w.slice(0, n).join('.') && cmp(v, w) > 0 : cmp(v, w) > 0;
  case '<': return cmp(v, w) < 0;
  case '<=': return n < 3 ? cmp(v.slice(0, n), w.slice(0, n)) <= 0 : cmp(v, w) <= 0;
  case '^': {
    const lead = w[0] !== 0 || n === 1 ? 0 : w[1] !== 0 || n === 2 ? 1 : 2;
    return cmp(v, w) >= 0 && v.slice(0, lead + 1).every((x, i) => x === w[i]);
  }
  case '~': return cmp(v, w) >= 0 && v.slice(0, Math.min(n, 2)).every((x, i) => x === w[i]);
  default: return n === 0 || v.slice(0, n).every((x, i) => x === w[i]);
  }
}

/** Whether version string `version` satisfies the npm range `range`. */
export function satisfies(version, range) {
  const v = parse(version);
  return range.split('||').some((alt) => {
    const s = alt.trim();
    if (s === '' || s === '*' || s === 'x') return true;
    const hyphen = /^(\S+)\s+-\s+(\S+)$/.exec(s);
    if (hyphen) return satisfiesOne(v, '>=' + hyphen[1]) && satisfiesOne(v, '<=' + hyphen[2]);
    return s.replace(/(>=|<=|>|<|=|\^|~)\s+/g, '$1').split(/\s+/).every((c) => satisfiesOne(v, c));
  });
}

const dir = new URL('.', import.meta.url);
const pkg = JSON.parse(readFileSync(new URL('package.json', dir), 'utf8'));
const floor = process.argv[2] ?? /\d+(\.\d+){0,2}/.exec(pkg.engines?.node ?? '')?.[0];
if (!floor) {
  console.error('check-engines: package.json has no engines.node and no version was given');
  process.exit(2);
}
const lock = JSON.parse(readFileSync(new URL('package-lock.json', dir), 'utf8'));
const bad = [];
let checked = 0;
for (const [path, p] of Object.entries(lock.packages ?? {})) {
  if (path === '' || !p.engines?.node) continue;
  checked++;
  if (!satisfies(floor, p.engines.node)) bad.push(`${path.replace(/^.*node_modules\//, '')}@${p.version} needs Node.js ${p.engines.node}`);
}
if (bad.length) {
  console.error(`check-engines: ${bad.length} locked package(s) do not run on Node.js ${floor}:`);
  for (const b of bad) console.error('  ' + b);
  process.exit(1);
}
console.log(`check-engines: ${checked} locked packages with an engines.node range all accept Node.js ${floor}`);
