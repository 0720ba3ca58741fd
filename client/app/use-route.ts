// The app's three screens live in the URL hash, so a reload comes back to the same screen and
// the relay's static server needs no route table.
import { useSyncExternalStore } from "react";

export type Route = { screen: "list" } | { screen: "new" } | { screen: "workout"; id: string };

export function parseRoute(hash: string): Route {
  if (hash === "#/new") return { screen: "new" };
  const match = /^#\/workout\/([A-Za-z0-9_-]+)$/.exec(hash);
  return match ? { screen: "workout", id: match[1]! } : { screen: "list" };
}

export function routeHref(route: Route): string {
  switch (route.screen) {
    case "list":
      return "#/";
    case "new":
      return "#/new";
    case "workout":
      return `#/workout/${route.id}`;
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
