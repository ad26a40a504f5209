/**
 * Structured JSON logs: one line per record on stdout, which Lambda ships to the function's log
 * group. Callers pass only the fields they mean to log; nothing here reads headers, so the API key
 * and the origin secret cannot reach a log line by accident.
 */

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
export type LogFields = Record<string, string | number | boolean | null | undefined>;
export type LogSink = (line: string) => void;

const stdoutSink: LogSink = (line) => {
  process.stdout.write(line + '\n');
};

let sink: LogSink = stdoutSink;

/** Replaces where log lines go (tests capture them); returns a function restoring the previous sink. */
export function setLogSink(next: LogSink): () => void {
  const previous = sink;
  sink = next;
  return () => {
    sink = previous;
  };
}

export function log(level: LogLevel, msg: string, fields: LogFields = {}): void {
  sink(JSON.stringify({ level, msg, time: new Date().toISOString(), ...fields }));
}
