import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { digestInput, kindOf, planDigest, summarizePlan } from './plan-changes';
import { parsePlanJson, PlanFormatError, type TerraformPlan } from './plan-json';
import { commentMarker, GITHUB_COMMENT_MAX_CHARS, DEFAULT_MAX_CHARS, renderPlanMarkdown } from './plan-markdown';

const FIXTURES = join(__dirname, 'fixtures');
const ROOT = join(__dirname, '..');
const fixtureText = (name: string): string => readFileSync(join(FIXTURES, name), 'utf8');
const fixture = (name: string): TerraformPlan => parsePlanJson(fixtureText(name));
const render = (name: string, maxChars?: number): string =>
  renderPlanMarkdown(summarizePlan(fixture(name)), {
    environment: 'dev',
    runUrl: 'https://github.com/example-org/usage-billing-platform/actions/runs/42',
    maxChars,
  });

/** Lines of the Markdown table that follows `heading`, without its header and separator rows. */
function tableRows(markdown: string, heading: string): string[] {
  const lines = markdown.split('\n');
  const start = lines.indexOf(heading);
  if (start < 0) return [];
  const rows: string[] = [];
  for (const line of lines.slice(start + 1)) {
    if (line.startsWith('|')) rows.push(line);
    else if (rows.length > 0) break;
  }
  return rows.slice(2);
}

/** Every string leaf of a JSON value: the values a rendering must never contain. */
function stringLeaves(value: unknown): string[] {
  if (typeof value === 'string') return [value];
  if (Array.isArray(value)) return value.flatMap(stringLeaves);
  if (value !== null && typeof value === 'object') return Object.values(value).flatMap(stringLeaves);
  return [];
}

/** Counts by kind computed from the raw fixture, independently of the renderer. */
function rawCounts(name: string): Record<string, number> {
  const raw = JSON.parse(fixtureText(name)) as { resource_changes: { change: { actions: string[] } }[] };
  const counts: Record<string, number> = { create: 0, update: 0, replace: 0, delete: 0 };
  for (const rc of raw.resource_changes) {
    const a = rc.change.actions.join(',');
    if (a === 'delete,create' || a === 'create,delete') counts.replace++;
    else if (a in counts) counts[a]++;
  }
  return counts;
}

describe('plan summary (real Terraform output of terraform_data changes)', () => {
  const summary = summarizePlan(fixture('real-changes.json'));

  test('counts create, update, replace and delete, both replace orders included', () => {
    expect(summary.counts).toEqual(rawCounts('real-changes.json'));
    expect(summary.counts).toEqual({ create: 1, update: 2, replace: 2, delete: 1 });
    const byAddress = new Map(summary.resources.map((r) => [r.address, r]));
    expect(byAddress.get('terraform_data.replaced')?.replaceOrder).toBe('destroy-before-create');
    expect(byAddress.get('terraform_data.replaced_cbd')?.replaceOrder).toBe('create-before-destroy');
    expect(byAddress.get('terraform_data.replaced')?.replacePaths).toEqual(['triggers_replace']);
  });

  test('lists destructive changes first', () => {
    const kinds = summary.resources.map((r) => r.kind);
    const lastDestructive = Math.max(kinds.lastIndexOf('delete'), kinds.lastIndexOf('replace'));
    const firstOther = kinds.findIndex((k) => k !== 'delete' && k !== 'replace');
    expect(lastDestructive).toBeLessThan(firstOther);
  });

  test('flags the sensitive attribute by name', () => {
    const secret = summary.resources.find((r) => r.address === 'terraform_data.secret');
    expect(secret?.changedAttributes).toContainEqual({ name: 'input', sensitive: true, unknown: false });
    const plain = summary.resources.find((r) => r.address === 'terraform_data.updated');
    expect(plain?.changedAttributes).toContainEqual({ name: 'input', sensitive: false, unknown: false });
  });
});

describe('plan Markdown', () => {
  test('starts with the hidden per-environment marker the workflow searches for', () => {
    expect(render('real-changes.json').split('\n')[0]).toBe(commentMarker('dev'));
    expect(commentMarker('prod')).toBe('<!-- plan:prod -->');
  });

  test('puts replacements and deletions, with a warning, before the other changes', () => {
    const md = render('real-changes.json');
    expect(md).toContain('> [!WARNING]');
    expect(md).toContain('1 to add, 2 to change, 2 to replace, 1 to destroy');
    const destructive = tableRows(md, '#### ⚠️ Replacements and deletions');
    expect(destructive).toHaveLength(3);
    expect(destructive.join('\n')).toContain('`terraform_data.deleted`');
    expect(destructive.join('\n')).toContain('forced by `triggers_replace`');
    expect(md.indexOf('#### ⚠️ Replacements and deletions')).toBeLessThan(md.indexOf('#### Changes'));
    expect(tableRows(md, '#### Changes')).toHaveLength(3);
  });

  test('never prints a value, sensitive or not, and marks sensitive attributes and outputs', () => {
    for (const name of ['real-changes.json', 'aws-replace.json', 'aws-delete.json', 'aws-outputs.json']) {
      const md = render(name);
      const raw = JSON.parse(fixtureText(name)) as { resource_changes?: { change: object }[]; output_changes?: object };
      const values = [
        ...(raw.resource_changes ?? []).flatMap((rc) => {
          const { before, after } = rc.change as { before?: unknown; after?: unknown };
          return [...stringLeaves(before), ...stringLeaves(after)];
        }),
        ...Object.values(raw.output_changes ?? {}).flatMap((c: { before?: unknown; after?: unknown }) => [...stringLeaves(c.before), ...stringLeaves(c.after)]),
      ].filter((v) => v.length >= 8); // short leaves such as "dev" may coincide with names
      expect(values.length).toBeGreaterThan(0);
      for (const value of values) expect(md).not.toContain(value);
    }
    const md = render('real-changes.json');
    expect(md).toContain('`input` 🔒 sensitive');
    expect(tableRows(md, '#### Outputs').find((r) => r.includes('`secret`'))).toContain('🔒 sensitive');
  });

  test('a no-op plan says there is nothing to do, with no tables and no warning', () => {
    const summary = summarizePlan(fixture('real-no-op.json'));
    expect(summary.counts).toEqual({ create: 0, update: 0, replace: 0, delete: 0 });
    expect(summary.resources).toHaveLength(0);
    const md = render('real-no-op.json');
    expect(md).toContain('no resource changes');
    expect(md).toContain('No changes. The live infrastructure matches the configuration.');
    expect(md).not.toContain('|');
    expect(md).not.toContain('[!WARNING]');
  });

  test('shows why a resource is replaced and leaves unchanged resources out', () => {
    const md = render('aws-replace.json');
    const destructive = tableRows(md, '#### ⚠️ Replacements and deletions').join('\n');
    expect(destructive).toContain('`aws_s3_bucket.logs` | destroy-before-create; replace because cannot update; forced by `bucket`');
    expect(destructive).toContain('`aws_lambda_function.handler["example"]` | create-before-destroy; replace by request');
    expect(md).not.toContain('aws_api_gateway_deployment.api');
    expect(tableRows(md, '#### Changes').join('\n')).toContain('`code`');
  });

  test('a delete plan calls out deletions and moved resources', () => {
    const md = render('aws-delete.json');
    expect(md).toContain('This plan **destroys 2 existing objects** (0 replaced, 2 deleted)');
    const destructive = tableRows(md, '#### ⚠️ Replacements and deletions');
    expect(destructive).toHaveLength(2);
    expect(destructive.join('\n')).toContain('moved from `aws_api_gateway_usage_plan_key.globex`');
    expect(destructive.join('\n')).toContain('delete because each key');
  });

  test('lists output changes (not no-ops) and notes drift', () => {
    const md = render('aws-outputs.json');
    const outputs = tableRows(md, '#### Outputs');
    expect(outputs.map((r) => r.split('|')[1].trim())).toEqual([
      '`api_endpoint`',
      '`cloudfront_domain_name`',
      '`legacy_dashboard`',
      '`smoke_test_api_key_value`',
    ]);
    expect(outputs[3]).toContain('update | 🔒 sensitive');
    expect(outputs[1]).toContain('create | known after apply');
    expect(md).toContain('1 resource changed outside Terraform since the last apply (drift)');
  });

  test("a huge plan fits GitHub's comment limit, keeps every destructive row and links the full log", () => {
    const summary = summarizePlan(fixture('huge-plan.json'));
    const counts = rawCounts('huge-plan.json');
    expect(summary.counts).toEqual(counts);
    const md = render('huge-plan.json');
    expect(DEFAULT_MAX_CHARS).toBeLessThan(GITHUB_COMMENT_MAX_CHARS);
    expect(md.length).toBeLessThanOrEqual(DEFAULT_MAX_CHARS);
    expect(tableRows(md, '#### ⚠️ Replacements and deletions')).toHaveLength(counts.replace + counts.delete);
    const shown = tableRows(md, '#### Changes').length;
    const omitted = summary.resources.length - counts.replace - counts.delete - shown;
    expect(omitted).toBeGreaterThan(0);
    expect(md).toContain(`${omitted} more rows not shown`);
    expect(md).toContain('[full plan in the workflow run](https://github.com/example-org/usage-billing-platform/actions/runs/42)');
    expect(md).not.toContain('secret-customer-');
  });

  test('a tighter budget drops even destructive rows but stays within it', () => {
    const md = render('huge-plan.json', 2000);
    expect(md.length).toBeLessThanOrEqual(2000);
    expect(md).toContain('more rows not shown');
    expect(md).toContain('to destroy');
    expect(() => render('huge-plan.json', 300)).toThrow(/--max-chars 300 is too small/);
  });

  // What the reviewer approves is the plan itself: Terraform's text, sensitive values masked by
  // Terraform, not names only.
  describe('with the plan text Terraform prints', () => {
    const planText = [
      'Terraform will perform the following actions:',
      '',
      '  # terraform_data.updated will be updated in-place',
      '  ~ resource "terraform_data" "updated" {',
      '      ~ input  = "one" -> "two"',
      '    }',
      '',
      '  # terraform_data.secret will be updated in-place',
      '  ~ resource "terraform_data" "secret" {',
      '      ~ input  = (sensitive value)',
      '    }',
      '```',
      'Plan: 1 to add, 2 to change, 2 to destroy.',
    ].join('\n');
    const renderText = (maxChars?: number, text = planText): string =>
      renderPlanMarkdown(summarizePlan(fixture('real-changes.json')), {
        environment: 'prod',
        runUrl: 'https://github.com/example-org/usage-billing-platform/actions/runs/42',
        planText: text,
        digest: planDigest(fixture('real-changes.json')),
        maxChars,
      });

    test('shows the values Terraform shows, in a block the text cannot close, after the tables', () => {
      const md = renderText();
      expect(md).toContain('~ input  = "one" -> "two"');
      expect(md).toContain('~ input  = (sensitive value)');
      expect(md).toContain('````text\n');
      expect(md.indexOf('#### Changes')).toBeLessThan(md.indexOf('<details><summary>Terraform plan'));
      expect(md).toContain(`plan digest \`${planDigest(fixture('real-changes.json')).slice(0, 16)}\``);
    });

    test('cuts a long text by whole lines to the budget and says where the rest is', () => {
      const long = Array.from({ length: 5000 }, (_, i) => `  + line ${i} = "value-${i}"`).join('\n');
      const md = renderText(20_000, long);
      expect(md.length).toBeLessThanOrEqual(20_000);
      expect(md).toMatch(/\d+ more lines of the plan not shown here; the whole text is in the \[workflow run\]/);
      expect(tableRows(md, '#### ⚠️ Replacements and deletions')).toHaveLength(3);
      const shownLines = md.split('\n').filter((l) => l.startsWith('  + line '));
      expect(shownLines.length).toBeGreaterThan(100);
      expect(shownLines.every((l, i) => l === `  + line ${i} = "value-${i}"`)).toBe(true);
    });
  });

  test('addresses with pipes and backticks stay inside their table cell', () => {
    const plan = parsePlanJson(
      JSON.stringify({
        format_version: '1.0',
        resource_changes: [
          { address: 'aws_s3_object.o["a|b`c"]', mode: 'managed', type: 'aws_s3_object', name: 'o', change: { actions: ['create'], after: {} } },
        ],
      }),
    );
    const rows = tableRows(renderPlanMarkdown(summarizePlan(plan), { environment: 'dev' }), '#### Changes');
    expect(rows).toHaveLength(1);
    expect(rows[0].split(/(?<!\\)\|/)).toHaveLength(5); // 3 cells between 4 unescaped pipes
    expect(rows[0]).toContain('`` aws_s3_object.o["a\\|b`c"] ``');
  });
});

describe('plan digest', () => {
  const text = fixtureText('real-changes.json');
  const digestOf = (raw: unknown): string => planDigest(parsePlanJson(JSON.stringify(raw)));
  type RawChange = { address: string; change: { actions: string[]; after?: Record<string, unknown>; before?: Record<string, unknown> } };
  const raw = (): { resource_changes: RawChange[]; output_changes: Record<string, { actions: string[]; after?: unknown }> } => JSON.parse(text);

  test('is stable and independent of key order and list order of resources', () => {
    const digest = planDigest(parsePlanJson(text));
    expect(digest).toMatch(/^[0-9a-f]{64}$/);
    expect(planDigest(parsePlanJson(text))).toBe(digest);
    const reversed = raw();
    reversed.resource_changes.reverse();
    expect(digestOf(reversed)).toBe(digest);
  });

  // The defect: a digest of addresses and action kinds let a plan with other values pass as the
  // reviewed one. Any planned non-sensitive value now moves the digest.
  test('changes when a planned value changes, the resources and actions staying the same', () => {
    const digest = planDigest(parsePlanJson(text));
    const changedValue = raw();
    changedValue.resource_changes.find((rc) => rc.address === 'terraform_data.updated')!.change.after!.input = 'three';
    expect(digestOf(changedValue)).not.toBe(digest);
    const changedOutput = raw();
    changedOutput.output_changes.added.after = 'something else';
    expect(digestOf(changedOutput)).not.toBe(digest);
  });

  // Review finding M4: the origin secret's seed is new on every plan, so a digest over sensitive
  // values made the prod job refuse every plan that creates or replaces the secret version. Real
  // Terraform plans (delivery/fixtures/make-sensitive-plans.sh): a sensitive value created in one
  // resource, copied into another and into a sensitive output.
  describe('sensitive values', () => {
    const a = fixtureText('real-sensitive-a.json');
    const b = fixtureText('real-sensitive-b.json');
    const other = fixtureText('real-sensitive-other.json');

    test('the fixtures differ as they claim: a and b only in sensitive values, a and other in a non-sensitive one', () => {
      const withoutTimestamp = (t: string): string => t.replace(/"timestamp": "[^"]*"/, '');
      expect(a).toContain('fixture-seed-a');
      expect(withoutTimestamp(b.replace(/fixture-seed-b/g, 'fixture-seed-a'))).toBe(withoutTimestamp(a));
      expect(withoutTimestamp(other.replace(/origin-2/g, 'origin'))).toBe(withoutTimestamp(a));
    });

    test('two plans that differ only in sensitive values have the same digest', () => {
      expect(planDigest(parsePlanJson(b))).toBe(planDigest(parsePlanJson(a)));
      expect(planDigest(parsePlanJson(text.replace(/fixture-secret-after/g, 'other')))).toBe(planDigest(parsePlanJson(text)));
    });

    test('two plans that differ in a non-sensitive value have different digests', () => {
      expect(planDigest(parsePlanJson(other))).not.toBe(planDigest(parsePlanJson(a)));
    });

    test('no sensitive value reaches what is hashed, resource values and outputs alike', () => {
      const hashed = digestInput(parsePlanJson(a));
      expect(hashed).not.toContain('fixture-seed-a');
      expect(hashed).toContain('"input":"(sensitive value)"');
      expect(hashed).toContain('"value":"(sensitive value)"');
      expect(hashed).toContain('"after":"(sensitive value)"'); // the sensitive output
      expect(hashed).toContain('"name":"origin"');
    });

    test('a change in what is marked sensitive still changes the digest', () => {
      const plan = JSON.parse(a) as { resource_changes: { address: string; change: { after_sensitive: unknown } }[] };
      plan.resource_changes.find((rc) => rc.address === 'terraform_data.header')!.change.after_sensitive = { input: {}, output: {} };
      expect(digestOf(plan)).not.toBe(planDigest(parsePlanJson(a)));
    });
  });

  test('changes when what the plan does changes', () => {
    const changedAction = raw();
    changedAction.resource_changes.find((rc) => rc.address === 'terraform_data.updated')!.change.actions = ['delete', 'create'];
    expect(digestOf(changedAction)).not.toBe(planDigest(parsePlanJson(text)));
  });

  test('ignores resources that do not change', () => {
    const withNoOp = raw();
    withNoOp.resource_changes.push({ address: 'terraform_data.same', change: { actions: ['no-op'], before: { input: 'a' }, after: { input: 'a' } } });
    (withNoOp.resource_changes.at(-1) as unknown as Record<string, string>).type = 'terraform_data';
    expect(digestOf(withNoOp)).toBe(planDigest(parsePlanJson(text)));
    expect(planDigest(fixture('real-no-op.json'))).toBe(digestOf({ format_version: '1.2', resource_changes: [] }));
  });
});

describe('plan JSON validation', () => {
  const cases: [string, string, RegExp][] = [
    ['empty input', '  ', /the plan JSON is empty; produce it with: terraform show -json/],
    ['a binary plan file', 'PK\u0003\u0004tfplan', /not JSON .*starts with "PK.*A binary plan file/],
    ['a state, not a plan', '{"format_version":"1.0","values":{}}', /this is a state, not a plan/],
    ['no format_version', '{"resource_changes":[]}', /no "format_version"/],
    ['format 2.0', '{"format_version":"2.0","resource_changes":[]}', /unsupported format_version "2.0": this renderer reads format 1.x/],
    ['format 0.1', '{"format_version":"0.1"}', /unsupported format_version "0.1"/],
    [
      'an unknown action',
      '{"format_version":"1.2","resource_changes":[{"address":"a.b","type":"a","change":{"actions":["explode"]}}]}',
      /resource_changes\[0\]\.change \(a\.b\)\.actions contains "explode"; known actions are/,
    ],
    ['a change without actions', '{"format_version":"1.2","resource_changes":[{"address":"a.b","type":"a","change":{}}]}', /actions must be a non-empty list/],
    [
      'a change without address',
      '{"format_version":"1.2","resource_changes":[{"type":"a","change":{"actions":["create"]}}]}',
      /resource_changes\[0\]\.address must be a non-empty string/,
    ],
    ['bad output change', '{"format_version":"1.2","output_changes":{"x":{"actions":"update"}}}', /output_changes\.x\.actions must be a non-empty list/],
  ];
  test.each(cases)('rejects %s with a clear message', (_label, text, message) => {
    expect(() => parsePlanJson(text)).toThrow(PlanFormatError);
    expect(() => parsePlanJson(text)).toThrow(message);
  });

  test('accepts later 1.x minor versions and ignores unknown properties', () => {
    const plan = parsePlanJson('{"format_version":"1.9","future_field":{},"resource_changes":[]}');
    expect(plan.resource_changes).toEqual([]);
  });

  test('kindOf maps every documented action list', () => {
    expect(kindOf(['delete', 'create'])).toBe('replace');
    expect(kindOf(['create', 'delete'])).toBe('replace');
    expect(kindOf(['create', 'forget'])).toBe('replace');
    expect(kindOf(['no-op'])).toBe('no-op');
    expect(kindOf(['read'])).toBe('read');
    expect(kindOf(['forget'])).toBe('forget');
  });
});

describe('plan:render CLI', () => {
  const tsx = join(ROOT, 'node_modules', '.bin', 'tsx');
  const cli = join(__dirname, 'plan-markdown-cli.ts');
  const run = (args: string[], input?: string) => spawnSync(tsx, [cli, ...args], { cwd: ROOT, input, encoding: 'utf8', timeout: 30_000 });

  test('renders a plan read from stdin', () => {
    const result = run(['--env', 'prod', '--commit', '0123456789abcdef'], fixtureText('aws-delete.json'));
    expect(result.status).toBe(0);
    expect(result.stdout.startsWith('<!-- plan:prod -->\n### Terraform plan for `prod`')).toBe(true);
    expect(result.stdout).toContain('commit `0123456789ab`');
    expect(result.stderr).toBe('');
  });

  test('prints the digest of a plan file', () => {
    const result = run(['--digest', join(FIXTURES, 'real-changes.json')]);
    expect(result.status).toBe(0);
    expect(result.stdout.trim()).toBe(planDigest(fixture('real-changes.json')));
  });

  test('bad input exits 2 with a one-line reason and no Markdown', () => {
    const result = run(['--env', 'dev'], '{"format_version":"2.0"}');
    expect(result.status).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr).toMatch(/^plan:render: unsupported format_version "2.0"/);
    const noEnv = run([join(FIXTURES, 'real-no-op.json')]);
    expect(noEnv.status).toBe(2);
    expect(noEnv.stderr).toContain('--env is required');
    const missing = run(['--env', 'dev', join(FIXTURES, 'nope.json')]);
    expect(missing.status).toBe(2);
    expect(missing.stderr).toContain('cannot read');
  });
});
