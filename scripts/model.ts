// The data that flows through the pipeline: config ─► scan ─► classify ─► plan ─► (execute) ─► report.
// Plain, serialisable values only: no API client objects, no functions, never a token.

/** Milliseconds since the epoch. Every pure stage takes `now` as data. */
export type Millis = number;

// The types by stage, each in its own file; every stage imports them from here.
export * from './model/plan-verdicts.ts';
export * from './model/run-results.ts';
export * from './model/scan-facts.ts';
