// Hands the page's life to the client's sync scheduler: active while the page is visible (so it
// syncs on return to the foreground and every 5 minutes), and told when the network comes back.
// A failed sync is not lost: it becomes the client's status and each item's retry state.
import { useEffect } from "react";
import type { IronFlowClient } from "../core/index.js";

export function useAutoSync(client: IronFlowClient): void {
  useEffect(() => {
    const onVisibilityChange = () => client.setActive(document.visibilityState === "visible");
    const onOnline = () => void client.networkOnline();
    void client.syncNow().catch(() => undefined); // once on load, whatever the schedule says
    onVisibilityChange();
    window.addEventListener("online", onOnline);
    document.addEventListener("visibilitychange", onVisibilityChange);
    return () => {
      client.setActive(false);
      window.removeEventListener("online", onOnline);
      document.removeEventListener("visibilitychange", onVisibilityChange);
    };
  }, [client]);
}
