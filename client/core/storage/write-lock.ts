// Serialises the steps that read and write the device's records (local changes, push results,
// remote changes), so no step sees another's half-written state across an await.
// Specification: docs/device-storage.md
export class Mutex {
  private tail: Promise<unknown> = Promise.resolve();

  run<T>(work: () => Promise<T>): Promise<T> {
    const result = this.tail.then(work, work);
    this.tail = result.catch(() => undefined);
    return result;
  }
}
