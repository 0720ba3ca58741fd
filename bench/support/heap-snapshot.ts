// Reads V8 heap snapshots (the .heapsnapshot JSON DevTools writes) and compares two: objects
// counted by constructor, and what holds the ones that grew. For finding what a process keeps;
// bench/relay-memory.ts takes the snapshots (RELAY_MEMORY_SNAPSHOTS).
//   npx tsx bench/support/heap-snapshot.ts before.heapsnapshot after.heapsnapshot [top]
import { readFileSync } from "node:fs";

interface RawSnapshot {
  snapshot: { meta: { node_fields: string[]; node_types: [string[], ...unknown[]]; edge_fields: string[]; edge_types: [string[], ...unknown[]] } };
  nodes: number[];
  edges: number[];
  strings: string[];
}

export interface Group {
  count: number;
  selfBytes: number;
}

export interface HeapSummary {
  /** By group: an object's constructor name, or "(type)" for strings, code, arrays and the like. */
  groups: Map<string, Group>;
  totalBytes: number;
  /** What holds the objects of a group: "holder group .edge" -> how many. */
  retainersOf(group: string, top?: number): [string, number][];
}

export function readHeapSnapshot(path: string): HeapSummary {
  const raw = JSON.parse(readFileSync(path, "utf8")) as RawSnapshot;
  const { node_fields, node_types, edge_fields, edge_types } = raw.snapshot.meta;
  const nodeWidth = node_fields.length;
  const edgeWidth = edge_fields.length;
  const typeOf = node_fields.indexOf("type");
  const nameOf = node_fields.indexOf("name");
  const sizeOf = node_fields.indexOf("self_size");
  const edgeCountOf = node_fields.indexOf("edge_count");
  const edgeTypeOf = edge_fields.indexOf("type");
  const edgeNameOf = edge_fields.indexOf("name_or_index");
  const edgeToOf = edge_fields.indexOf("to_node");
  const nodeTypes = node_types[0];
  const edgeTypes = edge_types[0];
  const { nodes, edges, strings } = raw;

  const groupOf = (node: number): string => {
    const type = nodeTypes[nodes[node + typeOf]!]!;
    const name = strings[nodes[node + nameOf]!]!;
    switch (type) {
      case "object":
        return name;
      case "native":
      case "hidden":
      case "array":
      case "synthetic":
        return `(${type}) ${name.slice(0, 60)}`;
      default:
        return `(${type})`;
    }
  };

  const groups = new Map<string, Group>();
  let totalBytes = 0;
  for (let node = 0; node < nodes.length; node += nodeWidth) {
    const key = groupOf(node);
    const size = nodes[node + sizeOf]!;
    const group = groups.get(key) ?? { count: 0, selfBytes: 0 };
    group.count += 1;
    group.selfBytes += size;
    groups.set(key, group);
    totalBytes += size;
  }

  return {
    groups,
    totalBytes,
    retainersOf(group, top = 8) {
      const held = new Map<string, number>();
      let edge = 0;
      for (let node = 0; node < nodes.length; node += nodeWidth) {
        const count = nodes[node + edgeCountOf]!;
        for (let e = 0; e < count; e++, edge += edgeWidth) {
          const type = edgeTypes[edges[edge + edgeTypeOf]!]!;
          if (type === "weak") continue;
          const to = edges[edge + edgeToOf]!;
          if (groupOf(to) !== group) continue;
          const nameOrIndex = edges[edge + edgeNameOf]!;
          const label = type === "element" || type === "hidden" ? `[${type}]` : `.${strings[nameOrIndex]!.slice(0, 40)}`;
          const key = `${groupOf(node)} ${label}`;
          held.set(key, (held.get(key) ?? 0) + 1);
        }
      }
      return [...held].sort((a, b) => b[1] - a[1]).slice(0, top);
    },
  };
}

/** The groups that grew most from `before` to `after`, by bytes. */
export function grownGroups(before: HeapSummary, after: HeapSummary, top = 25): { group: string; count: number; countDelta: number; bytes: number; bytesDelta: number }[] {
  const rows = [...after.groups].map(([group, a]) => {
    const b = before.groups.get(group) ?? { count: 0, selfBytes: 0 };
    return { group, count: a.count, countDelta: a.count - b.count, bytes: a.selfBytes, bytesDelta: a.selfBytes - b.selfBytes };
  });
  return rows.sort((x, y) => y.bytesDelta - x.bytesDelta).slice(0, top);
}

if (process.argv[1] && import.meta.url.endsWith(process.argv[1].split("/").pop()!)) {
  const [beforePath, afterPath, topArg] = process.argv.slice(2);
  if (!beforePath || !afterPath) throw new Error("usage: heap-snapshot.ts before.heapsnapshot after.heapsnapshot [top]");
  const before = readHeapSnapshot(beforePath);
  const after = readHeapSnapshot(afterPath);
  const top = Number(topArg ?? 25);
  process.stdout.write(`self bytes: ${before.totalBytes} -> ${after.totalBytes} (${after.totalBytes - before.totalBytes})\n`);
  const grown = grownGroups(before, after, top);
  for (const row of grown) process.stdout.write(`${String(row.bytesDelta).padStart(12)} B ${String(row.countDelta).padStart(9)} objects  ${row.group} (now ${row.count}, ${row.bytes} B)\n`);
  for (const row of grown.slice(0, 6)) {
    process.stdout.write(`held in ${row.group}:\n`);
    for (const [holder, count] of after.retainersOf(row.group)) process.stdout.write(`  ${String(count).padStart(9)}  ${holder}\n`);
  }
}
