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
 * without recursion, so no nesting can overflow the stack.
 */
export function jsonProblem(value: unknown, maxDepth = MAX_JSON_DEPTH): string | undefined {
  const stack: { value: unknown; path: string; depth: number }[] = [{ value, path: "(root)", depth: 0 }];
  for (let next = stack.pop(); next !== undefined; next = stack.pop()) {
    const { value: v, path, depth } = next;
    if (v === null || typeof v === "boolean") continue;
    if (typeof v === "number") {
      if (!Number.isFinite(v)) return `${path}: numbers must be finite`;
      continue;
    }
    if (typeof v === "string") {
      const problem = stringProblem(v);
      if (problem) return `${path}: ${problem}`;
      continue;
    }
    if (typeof v !== "object") return `${path}: ${typeof v} is not JSON`;
    if (depth >= maxDepth) return `${path}: nested deeper than ${maxDepth} levels`;
    if (Array.isArray(v)) {
      v.forEach((item, i) => stack.push({ value: item, path: `${path}.${i}`, depth: depth + 1 }));
      continue;
    }
    const proto: unknown = Object.getPrototypeOf(v);
    if (proto !== Object.prototype && proto !== null) return `${path}: ${v.constructor.name} is not JSON`;
    for (const [key, item] of Object.entries(v)) {
      const problem = stringProblem(key);
      if (problem) return `${path}: a key ${problem}`;
      stack.push({ value: item, path: `${path}.${key.slice(0, 64)}`, depth: depth + 1 });
    }
  }
  return undefined;
}

const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

function stringProblem(s: string): string | undefined {
  if (s.includes("\u0000")) return "contains a NUL character (U+0000)";
  if (LONE_SURROGATE.test(s)) return "contains a lone UTF-16 surrogate";
  return undefined;
}
