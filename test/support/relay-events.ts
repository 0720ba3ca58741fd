// A relay logger whose events a test can wait for (an event logged, not a sleep, says a fault
// took effect: a poke that failed to go out, a backbone that went down or came back).
import type { Logger } from "../../relay/logger.js";

export class RelayEvents implements Logger {
  readonly seen: string[] = [];
  private waiters: (() => void)[] = [];
  info = (event: string): void => this.push(event);
  error = (event: string): void => this.push(event);

  /** Resolves once `event` has been logged `n` times. */
  async count(event: string, n: number): Promise<void> {
    while (this.seen.filter((e) => e === event).length < n) await new Promise<void>((resolve) => this.waiters.push(resolve));
  }

  private push(event: string): void {
    this.seen.push(event);
    for (const wake of this.waiters.splice(0)) wake();
  }
}
