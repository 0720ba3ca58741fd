// Three-way comparison of JSON documents whose lists of objects carry ids (exercises, sets): what
// both sides changed from their common base, to different values. Automerge's merge keeps every
// change made on one side only; only these places need a rule (or the person).
//
// Paths name list elements by id, in brackets: ["payload", "exercises", "[ex-1]", "sets", "[s-2]"],
// so a path still finds its element after other elements were added or removed.
// Specification: docs/conflicts.md
import { deepEqual } from "../../../schema/json.js";

export type JsonPath = string[];

export interface LeafConflict {
  path: JsonPath;
  base: unknown;
  local: unknown;
  server: unknown;
}

/** Whether the value at `path` changes as a whole: its fields are never taken from two sides. */
export type IsUnit = (path: JsonPath) => boolean;

type JsonObject = Record<string, unknown>;

/** Places that both sides changed from `base`, to different values (an addition on both counts). */
export function conflictingLeaves(base: unknown, local: unknown, server: unknown, isUnit: IsUnit, path: JsonPath = []): LeafConflict[] {
  if (deepEqual(local, server)) return [];
  if (!isUnit(path)) {
    if (isObject(local) && isObject(server)) {
      const b = isObject(base) ? base : {};
      return [...new Set([...Object.keys(local), ...Object.keys(server)])].flatMap((key) =>
        conflictingLeaves(b[key], local[key], server[key], isUnit, [...path, key]),
      );
    }
    if (isIdList(local) && isIdList(server)) {
      const b = isIdList(base) ? base : [];
      const serverById = new Map(server.map((e) => [e["id"] as string, e]));
      // An element on one side only was added or removed there: Automerge's merge decides, and a
      // change it drops (an edit to an element the other side removed) is found by the caller.
      return local.flatMap((element) => {
        const id = element["id"] as string;
        const other = serverById.get(id);
        if (other === undefined) return [];
        return conflictingLeaves(b.find((e) => e["id"] === id), element, other, isUnit, [...path, `[${id}]`]);
      });
    }
  }
  const localChanged = !deepEqual(local, base);
  const serverChanged = !deepEqual(server, base);
  return localChanged && serverChanged ? [{ path, base, local, server }] : [];
}

/** The value at `path`, or undefined when any step of it is missing. */
export function getAt(root: unknown, path: JsonPath): unknown {
  let node = root;
  for (const step of path) {
    node = child(node, step);
    if (node === undefined) return undefined;
  }
  return node;
}

/**
 * Sets the value at `path` (removes it when `value` is undefined). Returns false when the place
 * no longer exists (a parent was removed), and changes nothing then.
 */
export function setAt(root: unknown, path: JsonPath, value: unknown): boolean {
  if (path.length === 0) return false;
  const parent = getAt(root, path.slice(0, -1));
  const last = path.at(-1) ?? "";
  const id = elementId(last);
  if (id !== undefined) {
    if (!isIdList(parent)) return false;
    const at = parent.findIndex((e) => e["id"] === id);
    if (value === undefined) {
      if (at >= 0) parent.splice(at, 1);
      return true;
    }
    if (at < 0) return false;
    parent[at] = structuredClone(value) as JsonObject;
    return true;
  }
  if (!isObject(parent)) return false;
  if (value === undefined) Reflect.deleteProperty(parent, last);
  else parent[last] = structuredClone(value);
  return true;
}

export function elementId(step: string): string | undefined {
  return step.startsWith("[") && step.endsWith("]") ? step.slice(1, -1) : undefined;
}

function child(node: unknown, step: string): unknown {
  const id = elementId(step);
  if (id !== undefined) return isIdList(node) ? node.find((e) => e["id"] === id) : undefined;
  return isObject(node) ? node[step] : undefined;
}

function isObject(value: unknown): value is JsonObject {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function isIdList(value: unknown): value is JsonObject[] {
  return Array.isArray(value) && value.every((e) => isObject(e) && typeof e["id"] === "string");
}
