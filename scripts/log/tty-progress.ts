// On a terminal: each event as a line, and below it a spinner that says what the run is doing now. Never used when
// the output is not a TTY (a pod's log gets JSON lines and no spinner frames).
import type { RunEvent } from './events.ts';
import { formatEvent } from './format-event.ts';

const FRAMES = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];

/** What the run is doing after `e`, for the spinner; undefined keeps the previous activity. */
export function activityAfter(e: RunEvent): string | undefined {
  switch (e.type) {
    case 'run-started':
      return 'finding the Multus pods';
    case 'multus-pods-found':
      return `reading ${e.count} node kubeconfig(s)`;
    case 'workloads-listed':
      return 'planning';
    case 'node-started':
      return `${e.node}: restarting Multus and waiting for its new pod`;
    case 'multus-restarted':
      return `${e.node}: waiting for the fresh token in the node's file`;
    case 'token-fresh':
      return `${e.node}: restarting dependent pods`;
    case 'pod-evicted':
      return `${e.namespace}/${e.name}: waiting for its replacement to be Ready`;
    case 'run-finished':
      return '';
    default:
      return undefined;
  }
}

export interface TtyProgress {
  emit: (e: RunEvent) => void;
  stop: () => void;
}

export function ttyProgress(out: NodeJS.WriteStream, now: () => number): TtyProgress {
  let activity = '';
  let frame = 0;
  const clear = () => out.write('\r\x1b[K');
  const draw = () => {
    if (activity) {
      out.write(`\r\x1b[K${FRAMES[frame++ % FRAMES.length]} ${activity.slice(0, (out.columns ?? 100) - 3)}`);
    }
  };
  const timer = setInterval(draw, 100);
  timer.unref();
  return {
    emit(e) {
      clear();
      out.write(`${formatEvent(e, 'text', now())}\n`);
      activity = activityAfter(e) ?? activity;
      draw();
    },
    stop() {
      clearInterval(timer);
      activity = '';
      clear();
    },
  };
}
