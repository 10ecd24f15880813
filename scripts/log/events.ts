// Progress is a typed event. Stages emit events through an `emit` function passed in; formatting for a terminal or
// for JSON lines happens in one place (format-event.ts). No event ever carries a token.
import type { RunMode, TokenClass } from '../model.ts';

export type RunEvent =
  | { type: 'run-started'; mode: RunMode; via: 'local' | 'in-cluster'; identity: string }
  | { type: 'multus-pods-found'; namespace: string; selector: string; count: number }
  | { type: 'node-read'; node: string; via: 'exec' | 'reader-pod'; ms: number }
  // Nodes judged from the facts of their last read (nothing they depend on changed), and nodes read, by reason.
  | { type: 'nodes-reused'; read: number; reused: number; reasons: Record<string, number> }
  | { type: 'node-unreadable'; node: string; reason: string }
  | { type: 'exec-fallback'; node: string; reason: string }
  | { type: 'node-classified'; node: string; class: TokenClass; reason: string }
  | { type: 'workloads-listed'; pods: number; pdbs: number; nodes: number }
  | { type: 'plan-built'; steps: number; deferred: number; skipped: number }
  | { type: 'summary-written'; namespace: string; name: string }
  | { type: 'summary-failed'; namespace: string; name: string; reason: string }
  | { type: 'lease-acquired'; namespace: string; name: string; holder: string }
  | { type: 'lease-held'; namespace: string; name: string; heldBy: string; since?: string }
  | { type: 'lease-released'; namespace: string; name: string }
  | { type: 'node-started'; node: string; index: number; of: number }
  | { type: 'wave-started'; wave: number; of: number; nodes: number }
  | { type: 'wave-finished'; wave: number; nodes: number; failed: number; ms: number }
  | { type: 'multus-restarted'; node: string; oldPod: string; newPod: string; readyMs: number }
  | { type: 'token-fresh'; node: string; fingerprint: string; tokenMs: number }
  | { type: 'pod-evicted'; namespace: string; name: string; node: string; attempts: number }
  | { type: 'pod-done'; namespace: string; name: string; outcome: string; reason: string }
  | { type: 'node-finished'; node: string; outcome: string; reason: string; ms: number }
  | { type: 'execution-stopped'; reason: string }
  | { type: 'repair-finished'; message: string }
  | { type: 'guard-rails'; ok: boolean; reason: string }
  | { type: 'metrics-pushed'; url: string }
  | { type: 'warning'; message: string }
  | { type: 'run-finished'; exitCode: number; outcome: string; ms: number };

export type Emit = (event: RunEvent) => void;
