// Bounded waiting: every wait in the bench has a deadline, so a stuck run fails with a message
// instead of hanging. These are guards, never measurements or assertions on time.
import type { IronFlowClient } from "../../client/core/index.js";

export function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`bench: gave up after ${ms} ms waiting for ${what}`)), ms);
    // A guard never keeps the process alive by itself (a real hang holds sockets open anyway).
    timer.unref();
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/**
 * Resolves with performance.now() at the moment `predicate` first holds, checked right away and
 * on every notification of `client` (never on a timer). Checks never overlap; a notification
 * that arrives during a check causes one more check after it.
 */
export function observe(
  client: IronFlowClient,
  predicate: () => boolean | Promise<boolean>,
  timeoutMs: number,
  what: string,
): Promise<number> {
  const observed = new Promise<number>((resolve, reject) => {
    let done = false;
    let checking = false;
    // Set by a check that arrives while one is running (across its await): run once more.
    const pending = { again: false };
    const checkAgain = (): boolean => pending.again && !done;
    const finish = (err: Error | undefined, at?: number) => {
      if (done) return;
      done = true;
      unsubscribe();
      clearTimeout(timer);
      if (err) reject(err);
      else resolve(at!);
    };
    const check = async (): Promise<void> => {
      if (done) return;
      if (checking) {
        pending.again = true;
        return;
      }
      checking = true;
      try {
        do {
          pending.again = false;
          if (await predicate()) {
            finish(undefined, performance.now());
            return;
          }
        } while (checkAgain());
      } catch (err) {
        finish(err instanceof Error ? err : new Error(String(err)));
      } finally {
        checking = false;
      }
    };
    const unsubscribe = client.subscribe(() => void check());
    const timer = setTimeout(() => finish(new Error(`bench: gave up after ${timeoutMs} ms waiting for ${what}`)), timeoutMs);
    timer.unref();
    void check();
  });
  // The caller may still be busy (e.g. creating) when this gives up; the rejection is theirs to
  // see when they await it, not an unhandled one in the meantime.
  observed.catch(() => undefined);
  return observed;
}

/** Closers run in reverse order of registration, each bounded, errors collected not thrown. */
export class Cleanup {
  private readonly closers: { what: string; close: () => Promise<unknown> }[] = [];

  add(what: string, close: () => Promise<unknown>): void {
    this.closers.push({ what, close });
  }

  async run(timeoutMs = 10_000): Promise<string[]> {
    const failures: string[] = [];
    while (this.closers.length > 0) {
      const { what, close } = this.closers.pop()!;
      try {
        await withTimeout(Promise.resolve().then(close), timeoutMs, `closing ${what}`);
      } catch (err) {
        failures.push(`${what}: ${err instanceof Error ? err.message : String(err)}`);
      }
    }
    return failures;
  }
}
