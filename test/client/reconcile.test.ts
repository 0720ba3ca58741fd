// Conflict detection by history: a version mismatch is a conflict only when both sides changed.
// The facts are what the device reads from Automerge (does one side's history hold the other's heads).
import * as A from "@automerge/automerge";
import { describe, expect, it } from "vitest";
import { reconcile } from "../../client/core/conflicts/reconcile.js";

function base() {
  return A.from<{ sets: number[]; title: string }>({ sets: [100], title: "Legs" });
}

function facts(local: A.Doc<object>, server: A.Doc<object>) {
  return { serverHasLocal: A.hasHeads(server, A.getHeads(local)), localHasServer: A.hasHeads(local, A.getHeads(server)) };
}

describe("reconcile", () => {
  it("the relay's document holds every local change (a lost ack): fast-forward, no conflict", () => {
    const local = A.change(base(), (d) => {
      d.sets.push(105);
    });
    const server = A.change(A.clone(local), (d) => {
      d.title = "Legs, heavy";
    });
    expect(reconcile(facts(local, server))).toEqual({ kind: "fast_forward" });
  });

  it("the local document already holds the relay's (a peer carried it): push again, no conflict", () => {
    const start = base();
    const server = A.change(A.clone(start), (d) => {
      d.sets.push(105);
    });
    const local = A.change(A.merge(A.clone(start), server), (d) => {
      d.title = "Legs, peer-merged";
    });
    expect(reconcile(facts(local, server))).toEqual({ kind: "already_merged" });
  });

  it("both sides changed since their common version: concurrent", () => {
    const start = base();
    const server = A.change(A.clone(start), (d) => {
      d.sets.push(105);
    });
    const local = A.change(A.clone(start), (d) => {
      d.sets.push(110);
    });
    expect(reconcile(facts(local, server))).toEqual({ kind: "concurrent" });
  });

  it("identical documents are a fast-forward", () => {
    const doc = base();
    expect(reconcile(facts(doc, A.clone(doc)))).toEqual({ kind: "fast_forward" });
  });
});
