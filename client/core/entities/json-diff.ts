// Applies the difference between two plain JSON values to an Automerge draft, touching only what
// changed: unchanged subtrees are never read through the draft (each read is a call into
// Automerge's WASM), and lists of objects with ids (exercises, sets) are edited element by
// element, so a concurrent edit on another device to another element survives the merge.
// Specification: docs/conflicts.md
import { deepEqual } from "../../../schema/json.js";

type JsonObject = Record<string, unknown>;

export function applyJsonDiff(draft: JsonObject, before: JsonObject, after: JsonObject): void {
  for (const key of Object.keys(before)) if (!(key in after)) Reflect.deleteProperty(draft, key);
  for (const [key, next] of Object.entries(after)) {
    const previous = before[key];
    if (deepEqual(previous, next)) continue;
    if (isObject(previous) && isObject(next)) {
      applyJsonDiff(draft[key] as JsonObject, previous, next);
    } else if (Array.isArray(previous) && Array.isArray(next) && allHaveIds(previous) && hasIds(next)) {
      applyListDiff(draft[key] as unknown[], previous, next);
    } else {
      draft[key] = structuredClone(next);
    }
  }
}

/**
 * Makes `list` (holding `before`) hold `after`, matching elements by their `id`. A later copy of
 * an id in `before` (two merges that each brought the same element back) is removed, so every
 * device that settles the same document removes the same copy.
 */
function applyListDiff(list: unknown[], before: JsonObject[], after: JsonObject[]): void {
  const keep = new Set(after.map((e) => e["id"]));
  const firstAt = new Map<unknown, number>();
  before.forEach((e, i) => {
    if (!firstAt.has(e["id"])) firstAt.set(e["id"], i);
  });
  const stays = (e: JsonObject, i: number) => keep.has(e["id"]) && firstAt.get(e["id"]) === i;
  // From the end, so the indices of the elements still to look at do not move.
  for (const [i, element] of [...before.entries()].reverse()) if (!stays(element, i)) list.splice(i, 1);
  const current = before.filter(stays);
  after.forEach((element, index) => {
    const at = current.findIndex((e) => e["id"] === element["id"]);
    const previous = current[at];
    if (at === index && previous) {
      // Reading list[index] through the draft is a call into Automerge: an element that did not
      // change (every set but the one edited) is not read at all.
      if (!deepEqual(previous, element)) applyJsonDiff(list[index] as JsonObject, previous, element);
      return;
    }
    if (at > index) {
      list.splice(at, 1); // moved earlier: take it out of its old place
      current.splice(at, 1);
    }
    list.splice(index, 0, structuredClone(element));
    current.splice(index, 0, element);
  });
}

function isObject(value: unknown): value is JsonObject {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function allHaveIds(list: unknown[]): list is JsonObject[] {
  return list.every((element) => isObject(element) && typeof element["id"] === "string");
}

function hasIds(list: unknown[]): list is JsonObject[] {
  const ids = new Set<unknown>();
  for (const element of list) {
    if (!isObject(element) || typeof element["id"] !== "string" || ids.has(element["id"])) return false;
    ids.add(element["id"]);
  }
  return true;
}
