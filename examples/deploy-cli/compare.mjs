// Compares what `a0deploy import` was given (IMPORTED) with what `a0deploy export` wrote
// (EXPORTED): every field of every imported resource must come back with the same value
// (matched by name, identifier, or client and audience). The export may add fields the
// tenant fills in (ids, defaults). Prints one PASS/FAIL line per resource and exits 1 on a FAIL.
// Normalised, and said so in a NOTE line: descriptions (of an API's scopes, of a role), which
// the tenant's model does not keep.
import fs from 'node:fs';
import yaml from 'js-yaml';

const [imported, exported] = process.argv.slice(2).map((f) => yaml.load(fs.readFileSync(f, 'utf8')));
const keys = {
  resourceServers: (r) => r.identifier,
  clients: (c) => c.name,
  clientGrants: (g) => `${g.client_id} -> ${g.audience}`,
  roles: (r) => r.name,
  organizations: (o) => o.name,
};
// Order does not matter in these lists.
const sorted = (v) =>
  Array.isArray(v) ? v.map(sorted).sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)))
    : v && typeof v === 'object' ? Object.fromEntries(Object.entries(v).map(([k, x]) => [k, sorted(x)])) : v;
const undescribed = (type, item) => {
  const out = { ...item };
  if (type === 'roles') delete out.description;
  if (type === 'resourceServers' && Array.isArray(out.scopes)) {
    out.scopes = out.scopes.map(({ description, ...rest }) => rest);
  }
  return out;
};
console.log('NOTE descriptions (resourceServers scopes, roles) are not compared: the tenant does not keep them');
let failed = 0;
for (const [type, key] of Object.entries(keys)) {
  for (const wanted of imported[type] || []) {
    const want = undescribed(type, wanted);
    const found = (exported[type] || []).find((x) => key(x) === key(want));
    const got = found && undescribed(type, found);
    const diffs = got === undefined ? ['missing'] : Object.keys(want)
      .filter((f) => JSON.stringify(sorted(want[f])) !== JSON.stringify(sorted(got[f])))
      .map((f) => `${f}: imported ${JSON.stringify(want[f])}, exported ${JSON.stringify(got[f])}`);
    if (diffs.length) failed++;
    console.log(`${diffs.length ? 'FAIL' : 'PASS'} ${type} ${key(want)}${diffs.length ? ': ' + diffs.join('; ') : ''}`);
  }
}
process.exit(failed ? 1 : 0);
