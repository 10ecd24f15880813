// Reads a file from a container through `pods/exec` (`cat PATH`), with a timeout and a size cap. client-node's
// exec resolves when the socket opens; this waits for the close and the status, and never waits forever: a dropped
// connection without a status ends at the timeout.
import { Agent } from 'node:https';
import { Writable } from 'node:stream';
import { createSecureContext, type SecureContext } from 'node:tls';
import { Exec, type KubeConfig, type V1Status } from '@kubernetes/client-node';
// Not re-exported by the package index, but its public constructor takes the socket factory we need (pinned 2.0.1).
import { WebSocketHandler } from '@kubernetes/client-node/dist/web-socket-handler.js';
import WebSocket from 'ws';
import { describeError } from './api-errors.ts';

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

/**
 * An Exec whose WebSockets share one TLS context and one agent (with its TLS session cache). client-node builds both
 * anew for every exec; at a thousand nodes that was a quarter of the scan's CPU (measured: bench/RESULTS.md).
 */
export function sharedExec(kc: KubeConfig): Exec {
  let context: SecureContext | undefined;
  const agent = new Agent({ keepAlive: false, maxCachedSessions: 100 });
  const factory = (uri: string, protocols: string[], opts: WebSocket.ClientOptions): WebSocket => {
    context ??= createSecureContext({ ca: opts.ca, cert: opts.cert, key: opts.key, pfx: opts.pfx,
      passphrase: opts.passphrase });
    return new WebSocket(uri, protocols, { ...opts, agent, secureContext: context } as WebSocket.ClientOptions);
  };
  return new Exec(kc, new WebSocketHandler(kc, factory as never));
}

export async function execRead(kc: KubeConfig | Exec, opts: ExecReadOptions): Promise<ExecReadResult> {
  const exec = kc instanceof Exec ? kc : new Exec(kc);
  const stdout = new CappedSink(opts.maxBytes);
  const stderr = new CappedSink(4096);
  const where = `${opts.namespace}/${opts.pod} container ${opts.container}`;
  let socket: { close(): void; once(ev: 'close', cb: () => void): void } | undefined;
  let status: V1Status | undefined;
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<ExecReadResult>((resolve) => {
    timer = setTimeout(() =>
      resolve({
        ok: false,
        kind: 'timeout',
        reason:
          `exec into ${where} did not finish within ${opts.timeoutMs} ms (raise --read-timeout if the API server is slow)`,
      }), opts.timeoutMs);
  });
  const finished = (async (): Promise<ExecReadResult> => {
    const ws = await exec.exec(opts.namespace, opts.pod, opts.container, opts.command, stdout, stderr, null, false,
      (s) => {
        status = s;
      });
    socket = ws;
    await new Promise<void>((resolve) => {
      if (ws.readyState === ws.CLOSED) resolve();
      else ws.once('close', () => resolve());
    });
    if (stdout.overflow) {
      return { ok: false, kind: 'too-large',
        reason: `the file is larger than ${opts.maxBytes} bytes (--max-file-size)` };
    }
    if (!status) {
      return { ok: false, kind: 'no-status',
        reason: `exec into ${where} ended without a status (connection dropped?)` };
    }
    if (status.status !== 'Success') {
      const err = Buffer.concat(stderr.chunks).toString('utf8').trim().slice(0, 300);
      const msg = [status.message, err].filter(Boolean).join('; ');
      return { ok: false, kind: 'failed',
        reason: `exec into ${where} failed: ${msg || status.reason || 'unknown error'}` };
    }
    return { ok: true, bytes: Buffer.concat(stdout.chunks) };
  })().catch((err: unknown): ExecReadResult => ({
    ok: false,
    kind: 'failed',
    reason: `exec into ${where} failed: ${describeError(err)}`,
  }));
  try {
    return await Promise.race([finished, timedOut]);
  } finally {
    clearTimeout(timer);
    socket?.close();
  }
}
