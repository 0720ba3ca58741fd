// JSON equality as the contract means it: same keys, same values, arrays in order.
export function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== "object" || typeof b !== "object" || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  const ka = Object.keys(a);
  const kb = Object.keys(b);
  if (ka.length !== kb.length) return false;
  return ka.every((k) => deepEqual((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]));
}

/** How deep a stored document may nest: the entity schemas need under 10 levels. */
export const MAX_JSON_DEPTH = 32;

/**
 * Why `value` is not plain JSON that every store and device can hold, or undefined when it is:
 * only null, booleans, finite numbers, well-formed strings without NUL (Postgres's jsonb refuses
 * U+0000 and lone surrogates), arrays and plain objects, nested at most `maxDepth` deep. Walks
 * without recursion, so no nesting can overflow the stack. The path in a problem is spelled only
 * when there is one: the relay asks this of every pushed document, nearly always valid.
 */
export function jsonProblem(value: unknown, maxDepth = MAX_JSON_DEPTH): string | undefined {
  const stack: Visit[] = [{ value, depth: 0, parent: undefined, key: "" }];
  for (let next = stack.pop(); next !== undefined; next = stack.pop()) {
    const { value: v, depth } = next;
    if (v === null || typeof v === "boolean") continue;
    if (typeof v === "number") {
      if (!Number.isFinite(v)) return `${pathOf(next)}: numbers must be finite`;
      continue;
    }
    if (typeof v === "string") {
      const problem = stringProblem(v);
      if (problem) return `${pathOf(next)}: ${problem}`;
      continue;
    }
    if (typeof v !== "object") return `${pathOf(next)}: ${typeof v} is not JSON`;
    if (depth >= maxDepth) return `${pathOf(next)}: nested deeper than ${maxDepth} levels`;
    if (Array.isArray(v)) {
      for (let i = 0; i < v.length; i++) stack.push({ value: v[i], depth: depth + 1, parent: next, key: i });
      continue;
    }
    const proto: unknown = Object.getPrototypeOf(v);
    if (proto !== Object.prototype && proto !== null) return `${pathOf(next)}: ${v.constructor.name} is not JSON`;
    for (const key of Object.keys(v)) {
      const problem = stringProblem(key);
      if (problem) return `${pathOf(next)}: a key ${problem}`;
      stack.push({ value: (v as Record<string, unknown>)[key], depth: depth + 1, parent: next, key });
    }
  }
  return undefined;
}

interface Visit {
  value: unknown;
  depth: number;
  parent: Visit | undefined;
  /** Its key in the parent (an index in a list). */
  key: string | number;
}

/** "(root).payload.exercises.0.name": each key cut to 64 characters. */
function pathOf(visit: Visit): string {
  const keys: string[] = [];
  for (let at = visit; at.parent !== undefined; at = at.parent) keys.push(String(at.key).slice(0, 64));
  return ["(root)", ...keys.reverse()].join(".");
}

const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

function stringProblem(s: string): string | undefined {
  if (s.includes("\u0000")) return "contains a NUL character (U+0000)";
  if (LONE_SURROGATE.test(s)) return "contains a lone UTF-16 surrogate";
  return undefined;
}
