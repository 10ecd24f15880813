// client-node 2.0.1 builds a new undici Agent — so a new TCP and TLS connection — for every API request. At a
// thousand nodes (a TokenReview each, plus lists and reads) that was most of the rotator's TLS work (bench/RESULTS.md).
// This KubeConfig hands every request the first dispatcher it built, so requests share pooled keep-alive
// connections. Credentials are still applied per request (headers), so a rotated service-account token is used.
import { KubeConfig } from '@kubernetes/client-node';

type Context = Parameters<KubeConfig['applySecurityAuthentication']>[0];
type Dispatcher = NonNullable<ReturnType<Context['getDispatcher']>>;

export class PooledKubeConfig extends KubeConfig {
  private shared: Dispatcher | undefined;

  override async applySecurityAuthentication(context: Context): Promise<void> {
    await super.applySecurityAuthentication(context);
    const built = context.getDispatcher();
    if (!built) return;
    if (this.shared === undefined) this.shared = built;
    else {
      context.setDispatcher(this.shared);
      void built.close().catch(() => undefined); // never connected: closing it is free
    }
  }
}
