// At most `limit` sync batches at work in this relay process at once; the rest wait their turn in
// arrival order. Without it, 100 devices pushing together each start their Automerge work at
// once: every batch crawls through the shared event loop, writes wait past the pool's connect
// timeout, and the devices' retries redo the whole batch (the ingest bench saw hundreds of
// UNAVAILABLE answers, each a batch of loads and validations thrown away). With the gate, the
// batches at work finish quickly and hold their pool connections briefly.
// Specification: docs/relay.md
export class BatchGate {
  private active = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(private readonly limit: number) {
    if (!Number.isSafeInteger(limit) || limit < 1) throw new RangeError(`a batch gate needs a limit of at least 1, got ${limit}`);
  }

  /** Batches at work now, and waiting for a turn. */
  get load(): { active: number; waiting: number } {
    return { active: this.active, waiting: this.waiting.length };
  }

  async run<T>(work: () => Promise<T>): Promise<T> {
    if (this.active >= this.limit) await new Promise<void>((resolve) => this.waiting.push(resolve));
    else this.active++;
    try {
      return await work();
    } finally {
      // The turn passes straight to the next waiter: `active` stays counted for it.
      const next = this.waiting.shift();
      if (next) next();
      else this.active--;
    }
  }
}
