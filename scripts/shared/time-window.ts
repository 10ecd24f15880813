// Whether an instant falls inside a weekly time window in a time zone, like kured's timewindow Contains(t). Parsed
// once from --maintenance-window in config/ (config/maintenance-window.ts); asked by both the planner (pacing counts
// the runs that fall inside, plan/pacing.ts) and the executor (its gates, execute/). So the matcher lives in shared/,
// which every stage owns, not in config/, which only reads flags. A window whose end is before its start crosses
// midnight and belongs to the day it starts on.

export interface TimeWindow {
  /** 0 = Sunday … 6 = Saturday. */
  days: number[];
  /** Minutes after midnight in `timeZone`. `end < start` crosses midnight. */
  startMinute: number;
  endMinute: number;
  timeZone: string;
  /** The text the user gave, for messages. */
  text: string;
}

const SHORT_DAY = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];

/** One formatter per time zone, built on first use: a pure memo (pacing asks for thousands of instants). */
const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (f === undefined) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      weekday: 'short',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    formatters.set(timeZone, f);
  }
  return f;
}

interface LocalTime {
  year: number;
  month: number; // 1..12
  day: number;
  weekday: number; // 0 = Sunday
  minuteOfDay: number;
  /** The wall-clock time read as if it were UTC, in ms (whole seconds). */
  asUtc: number;
}

function localTime(t: number, timeZone: string): LocalTime {
  const fields: Record<string, string> = {};
  for (const p of formatter(timeZone).formatToParts(new Date(t))) {
    fields[p.type] = p.value;
  }
  const year = Number(fields['year']);
  const month = Number(fields['month']);
  const day = Number(fields['day']);
  const hour = Number(fields['hour']) % 24;
  const minute = Number(fields['minute']);
  const second = Number(fields['second']);
  return {
    year,
    month,
    day,
    weekday: SHORT_DAY.indexOf(fields['weekday'] ?? ''),
    minuteOfDay: hour * 60 + minute,
    asUtc: Date.UTC(year, month - 1, day, hour, minute, second),
  };
}

/** Whether instant `t` (epoch ms) falls inside the window. */
export function windowContains(window: TimeWindow, t: number): boolean {
  const { weekday, minuteOfDay } = localTime(t, window.timeZone);
  const { startMinute, endMinute, days } = window;
  if (endMinute > startMinute) {
    return days.includes(weekday) && minuteOfDay >= startMinute && minuteOfDay < endMinute;
  }
  const yesterday = (weekday + 6) % 7;
  return (days.includes(weekday) && minuteOfDay >= startMinute) ||
    (days.includes(yesterday) && minuteOfDay < endMinute);
}
