/** The configuration reference in docs/platform.md is exactly what config/types.ts generates. */
import { readFileSync } from 'node:fs';
import { configRows, DOC_FILE, withReference } from './reference-doc';

test('docs/platform.md holds the generated reference (run npm run docs:config after changing config/types.ts)', () => {
  const doc = readFileSync(DOC_FILE, 'utf8');
  expect(withReference(doc)).toBe(doc);
});

test('every field of an environment is documented', () => {
  const rows = configRows();
  const undocumented = rows.filter((r) => r.doc === '').map((r) => r.path);
  expect(undocumented).toEqual([]);
  expect(rows.map((r) => r.path)).toEqual(
    expect.arrayContaining(['environments[].formerTerraformKeyIds?', 'environments[].usageJob.lateWindowHours', 'local']),
  );
});
