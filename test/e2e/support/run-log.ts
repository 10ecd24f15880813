// Reads the rotator's JSON-lines progress log (stderr when not on a terminal).
export interface LogLine {
  time: string;
  level: string;
  event: string;
  [key: string]: unknown;
}

export function logLines(stderr: string): LogLine[] {
  return stderr.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as LogLine);
}

export function at(line: LogLine | undefined): number {
  return line ? Date.parse(line.time) : NaN;
}
