// Hostile Automerge payloads, built once for the relay's refusal tests and its frame fuzz: each
// costs its sender almost nothing and would cost a careless relay gigabytes or its stack.
import { execFileSync } from "node:child_process";
import * as A from "@automerge/automerge";

/**
 * A document of `operations` operations that run-length encode to almost nothing: a text of one
 * character repeated (about 3 KB for 3 million). Built in a child process, like the one below.
 */
export function manyOperationsDocument(id: string, operations: number): Uint8Array {
  const script = `
    import * as A from "@automerge/automerge";
    const backend = A.getBackend(A.from({ id: ${JSON.stringify(id)} }));
    const text = backend.putObject("_root", "junk", "");
    backend.splice(text, 0, 0, "a".repeat(${operations}));
    backend.commit();
    process.stdout.write(Buffer.from(backend.save()).toString("base64"));
  `;
  return new Uint8Array(Buffer.from(execFileSync(process.execPath, ["--input-type=module", "-e", script], { encoding: "utf8" }), "base64"));
}

/**
 * A document whose root holds a 30-million-character string, saved (about 30 KB deflated). Built
 * in a child process: building it here would grow this process's WebAssembly memory (which never
 * shrinks) before the relay is measured.
 */
export function inflatingDocument(id: string): Uint8Array {
  const script = `
    import * as A from "@automerge/automerge";
    const backend = A.getBackend(A.from({ id: ${JSON.stringify(id)} }));
    backend.put("_root", "junk", "a".repeat(30_000_000));
    backend.commit();
    process.stdout.write(Buffer.from(backend.save()).toString("base64"));
  `;
  return new Uint8Array(Buffer.from(execFileSync(process.execPath, ["--input-type=module", "-e", script], { encoding: "utf8" }), "base64"));
}

/** A copy of `doc` typed as any map, to write what no entity type allows. */
export function loose(doc: A.Doc<object>): A.Doc<Record<string, unknown>> {
  return A.clone(doc as A.Doc<Record<string, unknown>>);
}

/**
 * `doc` with `depth` maps nested under the map at `path`, built on the document's backend: one
 * call per level (through A.change's proxies each level costs the whole path, and assigning a
 * deep object at once traps Automerge's module).
 */
export function nestDeeply(doc: A.Doc<Record<string, unknown>>, path: (string | number)[], depth: number): Uint8Array {
  let node: unknown = doc;
  for (const key of path.slice(0, -1)) node = (node as Record<string | number, unknown>)[key];
  const start = A.getObjectId(node, path[path.length - 1]);
  if (start === null) throw new Error(`no object at ${path.join(".")}`);
  const backend = A.getBackend(A.clone(doc));
  let obj: string = start;
  for (let i = 0; i < depth; i++) obj = backend.putObject(obj, "n", {});
  backend.commit();
  return backend.save();
}
