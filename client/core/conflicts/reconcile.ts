// Conflict detection by history, not by version number alone. A version mismatch only says that
// someone else pushed first; what each side's history holds says whether they really diverged.
// Specification: docs/conflicts.md
export type Reconciliation =
  /** The relay's document holds every local change: take it, nothing left to push. */
  | { kind: "fast_forward" }
  /** The local document already holds the relay's (a peer carried it): push again on its version. */
  | { kind: "already_merged" }
  /** Both sides changed concurrently: the type's strategy decides. */
  | { kind: "concurrent" };

export function reconcile(facts: { serverHasLocal: boolean; localHasServer: boolean }): Reconciliation {
  if (facts.serverHasLocal) return { kind: "fast_forward" };
  if (facts.localHasServer) return { kind: "already_merged" };
  return { kind: "concurrent" };
}
