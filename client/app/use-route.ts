// The app's screens live in the URL hash, so a reload comes back to the same screen and the
// relay's static server (and the service worker) need no route table.
import { useSyncExternalStore } from "react";

export type Route =
  | { screen: "list" }
  | { screen: "new" }
  | { screen: "workout"; id: string }
  /** Everything that waits for the person's choice: conflicts and possible duplicates. */
  | { screen: "review" }
  | { screen: "conflict"; id: string }
  | { screen: "duplicate"; id: string }
  | { screen: "activity" }
  | { screen: "refused" }
  | { screen: "data" }
  | { screen: "account" }
  | { screen: "health" }
  /** The person's profile and training settings. */
  | { screen: "profile" }
  /** Working sets per muscle group this week. */
  | { screen: "volume" }
  /** Sleep, soreness and readiness per day. */
  | { screen: "recovery" }
  /** LAN peers: pair from an invite, see each link and what it carried. */
  | { screen: "nearby" }
  /** Target sets × reps × weight per exercise, and the step once hit. */
  | { screen: "progression" }
  /** One exercise's history (by name, as typed: custom exercises have no id). */
  | { screen: "exercise"; name: string };

const ID = "([A-Za-z0-9_+~-]+)";

export function parseRoute(hash: string): Route {
  const simple: Record<string, Route> = {
    "#/new": { screen: "new" },
    "#/review": { screen: "review" },
    "#/activity": { screen: "activity" },
    "#/refused": { screen: "refused" },
    "#/data": { screen: "data" },
    "#/account": { screen: "account" },
    "#/health": { screen: "health" },
    "#/profile": { screen: "profile" },
    "#/volume": { screen: "volume" },
    "#/recovery": { screen: "recovery" },
    "#/nearby": { screen: "nearby" },
    "#/progression": { screen: "progression" },
  };
  if (simple[hash]) return simple[hash];
  const exercise = /^#\/exercise\/(.+)$/.exec(hash)?.[1];
  if (exercise !== undefined) {
    try {
      const name = decodeURIComponent(exercise).trim();
      if (name !== "") return { screen: "exercise", name };
    } catch {
      // A malformed escape: not a route, the list.
    }
  }
  for (const [prefix, screen] of [
    ["workout", "workout"],
    ["review", "conflict"],
    ["duplicate", "duplicate"],
  ] as const) {
    const match = new RegExp(`^#/${prefix}/${ID}$`).exec(hash);
    const id = match?.[1];
    if (id !== undefined) return { screen, id };
  }
  return { screen: "list" };
}

export function routeHref(route: Route): string {
  switch (route.screen) {
    case "list":
      return "#/";
    case "new":
    case "review":
    case "activity":
    case "refused":
    case "data":
    case "account":
    case "health":
    case "profile":
    case "volume":
    case "recovery":
    case "nearby":
    case "progression":
      return `#/${route.screen}`;
    case "workout":
      return `#/workout/${route.id}`;
    case "conflict":
      return `#/review/${route.id}`;
    case "duplicate":
      return `#/duplicate/${route.id}`;
    case "exercise":
      return `#/exercise/${encodeURIComponent(route.name)}`;
  }
}

export function navigate(route: Route): void {
  window.location.hash = routeHref(route);
}

export function useRoute(): Route {
  const hash = useSyncExternalStore(
    (onChange) => {
      window.addEventListener("hashchange", onChange);
      return () => window.removeEventListener("hashchange", onChange);
    },
    () => window.location.hash,
  );
  return parseRoute(hash);
}
