// Pages through a list (`limit` + `continue`), each page retried on transient errors. A 410 — the continue token
// expired because the list took longer than etcd keeps its snapshot — restarts the list from the beginning (at most
// three times); pages already handed to `onPage` are handed again, so `onPage` must tolerate a restart (it is told).
import { statusCode } from './api-errors.ts';
import { withRetry } from './retry.ts';

export interface Page<T> {
  items: T[];
  metadata?: { _continue?: string };
}

export async function paged<T>(fetchPage: (cont?: string) => Promise<Page<T>>,
  onPage?: (items: T[], restarted: boolean) => void): Promise<T[]> {
  for (let attempt = 0;; attempt++) {
    const all: T[] = [];
    let cont: string | undefined;
    try {
      do {
        const page = await withRetry(() => fetchPage(cont));
        if (onPage) onPage(page.items, attempt > 0 && cont === undefined);
        else all.push(...page.items);
        cont = page.metadata?._continue || undefined;
      } while (cont);
      return all;
    } catch (err) {
      if (statusCode(err) === 410 && attempt < 3) continue;
      throw err;
    }
  }
}
