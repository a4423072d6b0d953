// Compares an Actions directory export that `a0deploy import` was given (IMPORTED) with the
// one `a0deploy export -f directory` wrote (EXPORTED): each action's JSON (its secrets by name:
// Auth0 never exports a secret's value, and neither does the tenant), its code file byte for
// byte, and `triggers/triggers.json`. One PASS/FAIL line per file; exit 1 on a FAIL.
import fs from 'node:fs';
import path from 'node:path';

const [imported, exported] = process.argv.slice(2);
let failed = false;
const check = (name, ok, detail = '') => {
  console.log(`${ok ? 'PASS' : 'FAIL'} a0deploy export: ${name}${ok ? '' : ` (${detail})`}`);
  if (!ok) failed = true;
};
const read = (root, rel) => fs.readFileSync(path.join(root, rel), 'utf8');
const json = (root, rel) => JSON.parse(read(root, rel));
for (const f of fs.readdirSync(path.join(imported, 'actions')).filter((f) => f.endsWith('.json'))) {
  const want = json(imported, `actions/${f}`);
  const got = json(exported, `actions/${f}`);
  want.secrets = (want.secrets || []).map(({ name }) => ({ name }));
  const same = Object.keys(want).every((k) => JSON.stringify(want[k]) === JSON.stringify(got[k]));
  check(`actions/${f}`, same, JSON.stringify(got));
  check(`${want.code}`, read(imported, want.code) === read(exported, got.code), got.code);
}
const t = 'triggers/triggers.json';
check(t, JSON.stringify(json(imported, t)) === JSON.stringify(json(exported, t)), read(exported, t));
process.exit(failed ? 1 : 0);
