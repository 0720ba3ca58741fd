// Conflict detection by history, not by version number alone. Given this device's document and
// the relay's, Automerge's history says whether the two sides really diverged.
import * as A from "@automerge/automerge";

export type Reconciliation =
  /** The relay's document holds every local change: take it, nothing left to push. */
  | { kind: "fast_forward" }
  /** The local document already holds the relay's (a peer carried it): push again on its version. */
  | { kind: "already_merged" }
  /** Both sides changed concurrently: the type's strategy decides. */
  | { kind: "concurrent" };

export function reconcile(local: A.Doc<unknown>, server: A.Doc<unknown>): Reconciliation {
  if (A.hasHeads(server, A.getHeads(local))) return { kind: "fast_forward" };
  if (A.hasHeads(local, A.getHeads(server))) return { kind: "already_merged" };
  return { kind: "concurrent" };
}
