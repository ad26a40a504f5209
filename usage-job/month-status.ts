import { addHours, hourStart, monthBounds } from '../sql/hours';

/**
 * A month is `final` once the run is past its end plus the late window: CloudFront has delivered
 * its logs, no hour of it is recomputed, and its invoice lines are final. Before that its figures
 * are `month-to-date` and can still grow.
 */
export function monthStatus(month: string, now: Date, lateWindowHours: number): 'final' | 'month-to-date' {
  const settled = hourStart(addHours(monthBounds(month).next, lateWindowHours));
  return now.getTime() >= settled.getTime() ? 'final' : 'month-to-date';
}
