// CPU time from /proc on Linux (0 or undefined where it is missing): a process's (a bench relay in
// a process of its own), and this process's split between its main thread (JavaScript,
// Automerge's WebAssembly) and its other threads (V8's garbage collection and compilation helpers,
// libuv's pool). process.cpuUsage() sums the threads, and on a machine of few cores the other
// threads compete with everything else for the CPU.
import { readdirSync, readFileSync } from "node:fs";

/** Clock ticks per second of /proc's times (USER_HZ; 100 on every Linux this runs on). */
const TICKS_PER_SECOND = 100;

/** utime + stime in ms of the process or thread whose stat file is `path`; undefined when it cannot be read. */
export function statCpuMs(path: string): number | undefined {
  try {
    const stat = readFileSync(path, "utf8");
    // After "pid (comm) ", fields[0] is field 3 (state): utime is field 14, stime field 15.
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return ((Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND) * 1000;
  } catch {
    return undefined;
  }
}

export interface ThreadCpu {
  mainMs: number;
  otherThreadsMs: number;
}

/** Starts counting; the returned function gives this process's CPU since, by thread, or undefined where it cannot be read. */
export function threadCpuClock(): () => ThreadCpu | undefined {
  const before = threadCpuMs();
  return () => {
    const after = threadCpuMs();
    if (!before || !after) return undefined;
    let mainMs = 0;
    let otherThreadsMs = 0;
    for (const [tid, ms] of after) {
      const used = ms - (before.get(tid) ?? 0);
      if (tid === String(process.pid)) mainMs += used;
      else otherThreadsMs += used;
    }
    return { mainMs: Math.round(mainMs), otherThreadsMs: Math.round(otherThreadsMs) };
  };
}

/** CPU of each of this process's threads, in ms. */
function threadCpuMs(): Map<string, number> | undefined {
  let tids: string[];
  try {
    tids = readdirSync("/proc/self/task");
  } catch {
    return undefined;
  }
  const cpu = new Map<string, number>();
  for (const tid of tids) {
    // Undefined: the thread ended between the listing and the read.
    const ms = statCpuMs(`/proc/self/task/${tid}/stat`);
    if (ms !== undefined) cpu.set(tid, ms);
  }
  return cpu;
}
