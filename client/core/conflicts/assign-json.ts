// Makes an Automerge draft object equal to a JSON value with the fewest changes: unchanged
// keys are left alone (so their history and concurrent edits survive), changed ones are set,
// missing ones deleted. Arrays and scalars that differ are replaced whole.
import { deepEqual } from "../../../schema/json.js";

export { deepEqual };

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

export function assignJson(target: Record<string, unknown>, value: Record<string, unknown>): void {
  for (const key of Object.keys(target)) if (!(key in value)) delete target[key];
  for (const [key, next] of Object.entries(value)) {
    const current = target[key];
    if (deepEqual(current, next)) continue;
    if (isPlainObject(current) && isPlainObject(next)) assignJson(current, next);
    else target[key] = structuredClone(next as Json);
  }
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
