// One client per device store: two tabs each holding the same IndexedDB database in memory
// (queue, records, cursor) would overwrite each other's records. The Web Locks API gives the
// store to one tab at a time; the lock goes when that tab closes or navigates away, and a
// waiting tab then takes it (which also covers a reload racing its own old page). Where the
// API is missing (old browsers, a plain-http LAN address) the app runs unguarded.
export function holdDeviceLock(name: string, onAcquired: () => Promise<void>, onWaiting: () => void): void {
  if (!("locks" in navigator) || !navigator.locks) {
    void onAcquired();
    return;
  }
  const hold = async () => {
    await onAcquired();
    await new Promise<never>(() => undefined); // held for the page's lifetime
  };
  void navigator.locks.request(name, { ifAvailable: true }, async (lock) => {
    if (lock) return hold();
    onWaiting();
    void navigator.locks.request(name, hold);
  });
}
