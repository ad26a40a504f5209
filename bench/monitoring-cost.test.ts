/**
 * docs/monitoring.md's cost table is the one the code's counts give: the publisher's metrics for
 * each fleet size and the synthesized stack's alarms and dashboard. Alarm and dashboard counts come
 * from one stack for every size: customers are registry data, not stack input, and
 * bench/fleet-synth.test.ts shows the stack is the same at 10 and 10,000 customers.
 */
import { readFileSync } from 'node:fs';
import { METRICS_PER_KEY, fixedMetricCount } from '../contracts/metrics';
import { platformConfig } from '../config/environments';
import { costRow, DOC, LARGE_FLEET, metricsCost, monitoringCostTable, publisherCounts, stackCounts, tableInDoc } from './monitoring-cost';

test('the cost table in docs/monitoring.md matches the counts of the code (regenerate: npm run cost:monitoring -- --write)', () => {
  const counts = stackCounts();
  expect(tableInDoc(readFileSync(DOC, 'utf8'))).toBe(monitoringCostTable(() => counts));
});

test('the publisher puts one per-key metric per published key plus a fixed number, as the metrics table says', () => {
  for (const n of [10, 1000]) {
    expect(publisherCounts(n, [80, 100], { mode: 'all' }).metrics).toBe(n * METRICS_PER_KEY + fixedMetricCount(2));
    expect(publisherCounts(n, [80, 100], { mode: 'top', keys: 5 }).metrics).toBe(5 * METRICS_PER_KEY + fixedMetricCount(2));
    expect(publisherCounts(n, [80, 100], { mode: 'all' }, ['marketplace', 'stripe']).metrics).toBe(n * METRICS_PER_KEY + fixedMetricCount(2, 2));
  }
});

test('custom metrics are priced by tier: $0.30 each for the first 10,000, $0.10 for the next 240,000', () => {
  expect(metricsCost(10_000)).toBeCloseTo(3000, 6);
  expect(metricsCost(10_011)).toBeCloseTo(3001.1, 6);
});

test("the issue's cost targets hold: default under $350 a month at 1,000 keys, the large-fleet option under $50 at 10,000", () => {
  const counts = stackCounts();
  for (const env of platformConfig.environments) {
    const thresholds = env.alarms.quotaPercentThresholds;
    expect(costRow(1_000, counts, thresholds, { mode: 'all' }).usd.total).toBeLessThan(350);
    expect(costRow(10_000, counts, thresholds, LARGE_FLEET).usd.total).toBeLessThan(50);
  }
});
