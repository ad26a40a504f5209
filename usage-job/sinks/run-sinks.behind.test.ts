/** How far behind a sink is, and the run's outcome over its sinks. */
import { hoursBehind, sinksOutcome } from './run-sinks';
import type { SinkReport } from './sink';

const report = (outcome: SinkReport['outcome']): SinkReport => ({ sink: 's', outcome, sent: 0, unchanged: 0, problems: [], oldestUnreportedHour: null });

it('counts whole hours from the oldest unreported hour to the run hour, 0 when all is reported', () => {
  const now = new Date('2026-11-20T10:17:00Z');
  expect(hoursBehind({ oldestUnreportedHour: null }, now)).toBe(0);
  expect(hoursBehind({ oldestUnreportedHour: '2026-11-20T10' }, now)).toBe(0);
  expect(hoursBehind({ oldestUnreportedHour: '2026-11-20T07' }, now)).toBe(3);
  expect(hoursBehind({ oldestUnreportedHour: '2026-11-19T04' }, now)).toBe(30);
  expect(hoursBehind({ oldestUnreportedHour: '2026-11-20T11' }, now)).toBe(0);
});

it('is partial when any sink reported partial or failed, ok otherwise (no sink included)', () => {
  expect(sinksOutcome([])).toBe('ok');
  expect(sinksOutcome([report('ok'), report('ok')])).toBe('ok');
  expect(sinksOutcome([report('ok'), report('partial')])).toBe('partial');
  expect(sinksOutcome([report('failed')])).toBe('partial');
});
