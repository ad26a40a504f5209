import { platformConfig } from './environments';
import { configuredSinkNames } from './sinks';
import type { EnvironmentConfig, PlatformConfig, SinksConfig } from './types';
import { ConfigError, validatePlatformConfig } from './validate';

/** The shipped configuration with prod changed. */
function withProd(change: (prod: EnvironmentConfig) => EnvironmentConfig): PlatformConfig {
  return { ...platformConfig, environments: platformConfig.environments.map((e) => (e.name === 'prod' ? change(e) : e)) };
}

function problemsOf(config: PlatformConfig): string[] {
  try {
    validatePlatformConfig(config);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return [...(error as ConfigError).problems];
  }
  return [];
}

/** A sinks object naming `names`; SinksConfig has no member a test could name until a sink brings it. */
const sinksNamed = (...names: string[]): SinksConfig => Object.fromEntries(names.map((n) => [n, {}])) as SinksConfig;

describe('sinks config', () => {
  it('accepts no sinks and an empty sinks object (CloudWatch alone)', () => {
    expect(problemsOf(withProd((e) => ({ ...e, sinks: {} })))).toEqual([]);
    expect(configuredSinkNames({})).toEqual([]);
    expect(configuredSinkNames({ sinks: {} })).toEqual([]);
  });

  it('names a sink the code does not know, in one line', () => {
    expect(problemsOf(withProd((e) => ({ ...e, sinks: sinksNamed('strpe') })))).toEqual([
      'environment "prod": sinks.strpe is not a billing sink (known: marketplace, stripe; CloudWatch always runs)',
    ]);
  });

  it('refuses a sinks value that is not an object', () => {
    expect(problemsOf(withProd((e) => ({ ...e, sinks: ['stripe'] as unknown as SinksConfig })))).toEqual([
      'environment "prod": sinks must be an object of billing sink settings, got ["stripe"]',
    ]);
  });

  it('lists configured sinks sorted, leaving out members set to undefined', () => {
    expect(configuredSinkNames({ sinks: { ...sinksNamed('zeta', 'alpha'), beta: undefined } as SinksConfig })).toEqual(['alpha', 'zeta']);
  });

  it.each([
    [0, ['environment "prod": monitoring.sinkHoursBehindThreshold must be an integer from 1 to 840 hours, got 0']],
    [841, ['environment "prod": monitoring.sinkHoursBehindThreshold must be an integer from 1 to 840 hours, got 841']],
    [2.5, ['environment "prod": monitoring.sinkHoursBehindThreshold must be an integer from 1 to 840 hours, got 2.5']],
    [1, []],
    [840, []],
  ])('sinkHoursBehindThreshold %j', (hours, expected) => {
    expect(problemsOf(withProd((e) => ({ ...e, monitoring: { ...e.monitoring, sinkHoursBehindThreshold: hours } })))).toEqual(expected);
  });
});
