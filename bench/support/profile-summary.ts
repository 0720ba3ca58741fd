// Summarises a .cpuprofile (bench/support/cpu-profile.ts, node --cpu-prof) as text: where the
// samples fell by function (self time) and by file, and the inclusive time of named functions,
// so a profile can be compared before and after a change without opening DevTools.
// Usage: npx tsx bench/support/profile-summary.ts FILE.cpuprofile [TOP=25] [inclusive name ...]
import { readFileSync } from "node:fs";

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

export interface ProfileSummary {
  totalMs: number;
  bySelf: { name: string; ms: number }[];
  byFile: { file: string; ms: number }[];
  inclusive: Record<string, number>;
}

function shortUrl(url: string): string {
  const nm = url.lastIndexOf("node_modules/");
  if (nm >= 0) return url.slice(nm + "node_modules/".length);
  const repo = url.search(/\/(client|relay|schema|bench|test)\//);
  return repo >= 0 ? url.slice(repo + 1) : url.replace(/^file:\/\//, "") || "(native)";
}

export function summarize(profile: Profile, inclusiveNames: string[] = []): ProfileSummary {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const selfMs = new Map<number, number>();
  let totalMs = 0;
  profile.samples.forEach((id, i) => {
    const ms = (profile.timeDeltas[i] ?? 0) / 1000;
    totalMs += ms;
    selfMs.set(id, (selfMs.get(id) ?? 0) + ms);
  });
  const fn = new Map<string, number>();
  const file = new Map<string, number>();
  const inclusive: Record<string, number> = Object.assign(Object.create(null) as Record<string, number>, Object.fromEntries(inclusiveNames.map((n) => [n, 0])));
  for (const [id, ms] of selfMs) {
    const node = byId.get(id)!;
    const { functionName, url, lineNumber } = node.callFrame;
    const where = shortUrl(url);
    const key = `${functionName || "(anonymous)"} ${where}${url ? `:${lineNumber + 1}` : ""}`;
    fn.set(key, (fn.get(key) ?? 0) + ms);
    file.set(where, (file.get(where) ?? 0) + ms);
    // Inclusive: each sample counts once for every named function on its stack.
    const seen = new Set<string>();
    for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
      const name = byId.get(cur)!.callFrame.functionName;
      if (name in inclusive && !seen.has(name)) {
        seen.add(name);
        inclusive[name]! += ms;
      }
    }
  }
  const sorted = <K extends string>(m: Map<string, number>, k: K) =>
    [...m].sort((a, b) => b[1] - a[1]).map(([name, ms]) => ({ [k]: name, ms }) as { [P in K]: string } & { ms: number });
  return { totalMs, bySelf: sorted(fn, "name"), byFile: sorted(file, "file"), inclusive };
}

if (process.argv[1]?.endsWith("profile-summary.ts")) {
  const [path, topArg, ...names] = process.argv.slice(2);
  if (!path) throw new Error("usage: profile-summary.ts FILE.cpuprofile [TOP] [function names for inclusive time]");
  const top = Number(topArg ?? 25);
  const s = summarize(JSON.parse(readFileSync(path, "utf8")) as Profile, names);
  const pct = (ms: number) => `${((100 * ms) / s.totalMs).toFixed(1).padStart(5)}%`;
  console.log(`${path}: ${s.totalMs.toFixed(0)} ms sampled`);
  console.log("\nself time by function:");
  for (const { name, ms } of s.bySelf.slice(0, top)) console.log(`${pct(ms)} ${ms.toFixed(0).padStart(7)} ms  ${name}`);
  console.log("\nself time by file:");
  for (const { file, ms } of s.byFile.slice(0, top)) console.log(`${pct(ms)} ${ms.toFixed(0).padStart(7)} ms  ${file}`);
  if (names.length > 0) {
    console.log("\ninclusive time:");
    for (const [name, ms] of Object.entries(s.inclusive)) console.log(`${pct(ms)} ${ms.toFixed(0).padStart(7)} ms  ${name}`);
  }
}
