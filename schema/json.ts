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
 * without recursion, so no nesting can overflow the stack. The relay asks this of every pushed
 * document, nearly always valid: the walk allocates nothing per value (its stack is four arrays,
 * not an object a value, which were a twentieth of what a catch-up's loads allocated), and the
 * path in a problem is spelled only when there is one.
 */
export function jsonProblem(value: unknown, maxDepth = MAX_JSON_DEPTH): string | undefined {
  const walk = new JsonWalk(value);
  while (walk.next()) {
    const v = walk.value;
    if (v === null || typeof v === "boolean") continue;
    if (typeof v === "number") {
      if (!Number.isFinite(v)) return `${walk.path()}: numbers must be finite`;
      continue;
    }
    if (typeof v === "string") {
      const problem = stringProblem(v);
      if (problem) return `${walk.path()}: ${problem}`;
      continue;
    }
    if (typeof v !== "object") return `${walk.path()}: ${typeof v} is not JSON`;
    if (walk.depth >= maxDepth) return `${walk.path()}: nested deeper than ${maxDepth} levels`;
    if (Array.isArray(v)) {
      walk.enter();
      for (let i = 0; i < v.length; i++) walk.push(v[i], i);
      continue;
    }
    const proto: unknown = Object.getPrototypeOf(v);
    if (proto !== Object.prototype && proto !== null) return `${walk.path()}: ${v.constructor.name} is not JSON`;
    walk.enter();
    // for...in, not Object.keys: no array of keys per object. The prototype is Object.prototype
    // (no enumerable keys) or null, so it lists the object's own enumerable string keys.
    for (const key in v) {
      const problem = stringProblem(key);
      if (problem) return `${walk.path()}: a key ${problem}`;
      walk.push((v as Record<string, unknown>)[key], key);
    }
  }
  return undefined;
}

/**
 * The values still to visit, last pushed first, and the containers entered so far (each with its
 * own container and key), so that the path of a value can be spelled when it is needed.
 */
class JsonWalk {
  private readonly values: unknown[] = [];
  private readonly depths: number[] = [];
  private readonly owners: number[] = [];
  private readonly keys: (string | number)[] = [];
  private readonly containerOwners: number[] = [];
  private readonly containerKeys: (string | number)[] = [];
  value: unknown;
  depth = 0;
  private owner = -1;
  private key: string | number = "";
  /** The container the children pushed next belong to. */
  private entered = -1;

  constructor(root: unknown) {
    this.values.push(root);
    this.depths.push(0);
    this.owners.push(-1);
    this.keys.push("");
  }

  /** Takes the next value to look at; false when none is left. */
  next(): boolean {
    if (this.values.length === 0) return false;
    this.value = this.values.pop();
    this.depth = this.depths.pop() as number;
    this.owner = this.owners.pop() as number;
    this.key = this.keys.pop() as string | number;
    return true;
  }

  /** The current value is a container whose children are pushed next. */
  enter(): void {
    this.containerOwners.push(this.owner);
    this.containerKeys.push(this.key);
    this.entered = this.containerOwners.length - 1;
  }

  push(value: unknown, key: string | number): void {
    this.values.push(value);
    this.depths.push(this.depth + 1);
    this.owners.push(this.entered);
    this.keys.push(key);
  }

  /** "(root).payload.exercises.0.name" for the current value: each key cut to 64 characters. */
  path(): string {
    const keys: string[] = [];
    if (this.owner !== -1) keys.push(String(this.key).slice(0, 64));
    for (let at = this.owner; at > 0; at = this.containerOwners[at] as number) keys.push(String(this.containerKeys[at]).slice(0, 64));
    return ["(root)", ...keys.reverse()].join(".");
  }
}

const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

function stringProblem(s: string): string | undefined {
  if (s.includes("\u0000")) return "contains a NUL character (U+0000)";
  if (LONE_SURROGATE.test(s)) return "contains a lone UTF-16 surrogate";
  return undefined;
}
