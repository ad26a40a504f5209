/** Partition hours ('YYYY-MM-DDTHH', UTC) and months ('YYYY-MM'): parsing, ranges, arithmetic. */
/** An hour as 'YYYY-MM-DDTHH' in UTC, e.g. '2026-11-03T07': a log partition and a rollup. */
export type HourId = string;

const HOUR_MS = 3_600_000;
const HOUR_ID = /^(\d{4})-(\d{2})-(\d{2})T(\d{2})$/;
const MONTH = /^(\d{4})-(\d{2})$/;

export function hourIdOf(date: Date): HourId {
  return date.toISOString().slice(0, 13);
}

export function hourStart(hour: HourId): Date {
  const m = HOUR_ID.exec(hour);
  const date = m ? new Date(`${hour}:00:00Z`) : new Date(NaN);
  if (Number.isNaN(date.getTime()) || hourIdOf(date) !== hour) throw new Error(`not an hour id (YYYY-MM-DDTHH): ${hour}`);
  return date;
}

export function floorToHour(date: Date): Date {
  return new Date(Math.floor(date.getTime() / HOUR_MS) * HOUR_MS);
}

export function addHours(hour: HourId, n: number): HourId {
  return hourIdOf(new Date(hourStart(hour).getTime() + n * HOUR_MS));
}

/** Every hour from `first` to `last`, both included (empty when last < first). */
export function hourRange(first: HourId, last: HourId): HourId[] {
  const out: HourId[] = [];
  for (let t = hourStart(first).getTime(), end = hourStart(last).getTime(); t <= end; t += HOUR_MS) out.push(hourIdOf(new Date(t)));
  return out;
}

/** True when `value` is a real month 'YYYY-MM' (0001-01 to 9999-12). */
export function isMonth(value: string): boolean {
  const m = MONTH.exec(value);
  return m !== null && Number(m[2]) >= 1 && Number(m[2]) <= 12 && Number(m[1]) >= 1;
}

/** First hour of a month and the first hour of the next month. */
export function monthBounds(month: string): { first: HourId; next: HourId } {
  if (!isMonth(month)) throw new Error(`not a month (YYYY-MM): ${month}`);
  const [y, m] = month.split('-').map(Number);
  return {
    first: hourIdOf(new Date(Date.UTC(y, m - 1, 1))),
    next: hourIdOf(new Date(Date.UTC(y, m, 1))),
  };
}
