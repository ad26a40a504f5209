import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { platformConfig } from '../config/environments';
import { readSettings, SettingsError, type LocalSettings } from './config';
import { localSeedKeys } from './seed-keys';
import { removeTempDirs, tempDir } from './testing/platform-process';

test('defaults: the local environment of the config, port 3000, state in .local', () => {
  const s = readSettings([], {}) as LocalSettings;
  expect(s.environment).toBe(platformConfig.local);
  expect(s.port).toBe(3000);
  expect(s.stateDir.endsWith('/.local')).toBe(true);
  expect(s.cloudwatchEndpoint).toBeUndefined();
  expect(readSettings(['--help'], {})).toBe('help');
  expect((readSettings(['--cloudwatch-endpoint', 'http://127.0.0.1:5000'], {}) as LocalSettings).cloudwatchEndpoint).toBe('http://127.0.0.1:5000');
});

test('bad arguments and settings are clear errors naming what was wrong', () => {
  expect(() => readSettings(['--port', '1'], {})).toThrow(
    new SettingsError(
      'unknown argument "--port"\n' +
        'usage: npm start [-- --cloudwatch-endpoint URL]\n  serves the local platform on http://127.0.0.1:$PORT (default 3000); see local/README.md',
    ),
  );
  expect(() => readSettings(['--cloudwatch-endpoint'], {})).toThrow(/--cloudwatch-endpoint needs an http\(s\) URL, got ""/);
  expect(() => readSettings([], { PORT: 'abc' })).toThrow('PORT must be an integer from 0 to 65535, got "abc"');
  expect(() => readSettings([], { LOCAL_FLUSH_MS: '10' })).toThrow('LOCAL_FLUSH_MS must be an integer from 50 to 60000, got "10"');
  expect(() => readSettings([], { LOCAL_ENVIRONMENT_FILE: '/nonexistent.json' })).toThrow('LOCAL_ENVIRONMENT_FILE /nonexistent.json does not exist');
});

test('an environment override replaces top-level fields and is validated like the config', () => {
  const dir = tempDir('override-');
  const good = join(dir, 'good.json');
  writeFileSync(good, JSON.stringify({ apiKeys: [{ id: 'solo', customer: 'Solo', plan: 'basic' }] }));
  const s = readSettings([], { LOCAL_ENVIRONMENT_FILE: good }) as LocalSettings;
  expect(localSeedKeys(s.environment).map((k) => k.id)).toEqual(['solo']);
  expect(s.environment.usagePlans).toEqual(platformConfig.local.usagePlans);

  const bad = join(dir, 'bad.json');
  writeFileSync(bad, JSON.stringify({ usagePlans: { basic: { monthlyQuota: 0, rateLimit: 5, burstLimit: 10 } } }));
  expect(() => readSettings([], { LOCAL_ENVIRONMENT_FILE: bad })).toThrow(/usagePlans\.basic\.monthlyQuota must be a positive integer/);
  writeFileSync(bad, '[1]');
  expect(() => readSettings([], { LOCAL_ENVIRONMENT_FILE: bad })).toThrow(/must hold a JSON object of environment fields/);
});

afterAll(removeTempDirs);
