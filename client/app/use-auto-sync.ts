// When the browser syncs on its own: once on load, every 30 s while the page is visible, when
// the page becomes visible again, and when the browser says it is back online. A failed sync
// is not lost: it becomes the client's status (lastError) and each item's retry state.
import { useEffect } from "react";
import type { IronFlowClient } from "../core/index.js";

export const AUTO_SYNC_INTERVAL_MS = 30_000;

export function useAutoSync(client: IronFlowClient, intervalMs = AUTO_SYNC_INTERVAL_MS): void {
  useEffect(() => {
    const sync = () => void client.syncNow().catch(() => undefined);
    let timer: ReturnType<typeof setInterval> | undefined;
    const schedule = () => {
      clearInterval(timer);
      timer = document.visibilityState === "visible" ? setInterval(sync, intervalMs) : undefined;
    };
    const onVisibilityChange = () => {
      if (document.visibilityState === "visible") sync();
      schedule();
    };
    sync();
    schedule();
    window.addEventListener("online", sync);
    document.addEventListener("visibilitychange", onVisibilityChange);
    return () => {
      clearInterval(timer);
      window.removeEventListener("online", sync);
      document.removeEventListener("visibilitychange", onVisibilityChange);
    };
  }, [client, intervalMs]);
}
