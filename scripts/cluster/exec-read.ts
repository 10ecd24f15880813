// Reads a file from a container through `pods/exec` (`cat PATH`), with a timeout and a size cap. client-node's
// exec resolves when the socket opens; this waits for the close and the status, and never waits forever: a dropped
// connection without a status ends at the timeout.
import { Writable } from 'node:stream';
import { Exec, type KubeConfig, type V1Status } from '@kubernetes/client-node';

export type ExecReadResult =
  | { ok: true; bytes: Buffer }
  | { ok: false; kind: 'timeout' | 'too-large' | 'failed' | 'no-status'; reason: string };

export interface ExecReadOptions {
  namespace: string;
  pod: string;
  container: string;
  command: string[];
  timeoutMs: number;
  maxBytes: number;
}

class CappedSink extends Writable {
  readonly chunks: Buffer[] = [];
  size = 0;
  overflow = false;
  private readonly cap: number;

  constructor(cap: number) {
    super();
    this.cap = cap;
  }

  override _write(chunk: Buffer, _enc: BufferEncoding, done: (err?: Error | null) => void): void {
    this.size += chunk.length;
    if (this.size > this.cap) this.overflow = true;
    else this.chunks.push(chunk);
    done();
  }
}

export async function execRead(kc: KubeConfig, opts: ExecReadOptions): Promise<ExecReadResult> {
  const stdout = new CappedSink(opts.maxBytes);
  const stderr = new CappedSink(4096);
  const where = `${opts.namespace}/${opts.pod} container ${opts.container}`;
  let socket: { close(): void; once(ev: 'close', cb: () => void): void } | undefined;
  let status: V1Status | undefined;
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<ExecReadResult>((resolve) => {
    timer = setTimeout(() => resolve({
      ok: false, kind: 'timeout',
      reason: `exec into ${where} did not finish within ${opts.timeoutMs} ms (raise --read-timeout if the API server is slow)`,
    }), opts.timeoutMs);
  });
  const finished = (async (): Promise<ExecReadResult> => {
    const ws = await new Exec(kc).exec(opts.namespace, opts.pod, opts.container, opts.command, stdout, stderr,
      null, false, (s) => {
        status = s;
      });
    socket = ws;
    await new Promise<void>((resolve) => {
      if (ws.readyState === ws.CLOSED) resolve();
      else ws.once('close', () => resolve());
    });
    if (stdout.overflow) {
      return { ok: false, kind: 'too-large', reason: `the file is larger than ${opts.maxBytes} bytes (--max-file-size)` };
    }
    if (!status) {
      return { ok: false, kind: 'no-status', reason: `exec into ${where} ended without a status (connection dropped?)` };
    }
    if (status.status !== 'Success') {
      const err = Buffer.concat(stderr.chunks).toString('utf8').trim().slice(0, 300);
      const msg = [status.message, err].filter(Boolean).join('; ');
      return { ok: false, kind: 'failed', reason: `exec into ${where} failed: ${msg || status.reason || 'unknown error'}` };
    }
    return { ok: true, bytes: Buffer.concat(stdout.chunks) };
  })().catch((err: unknown): ExecReadResult => ({
    ok: false, kind: 'failed', reason: `exec into ${where} failed: ${describeError(err)}`,
  }));
  try {
    return await Promise.race([finished, timedOut]);
  } finally {
    clearTimeout(timer);
    socket?.close();
  }
}

export function describeError(err: unknown): string {
  if (err && typeof err === 'object') {
    const e = err as { code?: number; body?: unknown; message?: string };
    if (typeof e.body === 'string') {
      try {
        const parsed = JSON.parse(e.body) as { message?: string };
        if (parsed.message) return `${e.code ?? ''} ${parsed.message}`.trim();
      } catch {
        // not a Status
      }
    }
    if (e.message) return e.message;
  }
  return String(err);
}
