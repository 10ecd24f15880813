// What the seeding helpers need from their caller to undo what they did: the shape of node:test's `t.after`, so
// that the demo and the tests share one implementation without the demo depending on a test runner.
export interface Cleanup {
  after(fn: () => unknown): void;
}
