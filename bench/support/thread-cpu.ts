// CPU of this process split between its main thread (JavaScript, Automerge's WebAssembly) and its
// other threads (V8's garbage collection and compilation helpers, libuv's pool), read from
// /proc/self/task on Linux: process.cpuUsage() sums them, and on a machine of few cores the
// other threads compete with everything else for the CPU. Undefined where /proc is missing.
import { readdirSync, readFileSync } from "node:fs";

export interface ThreadCpu {
  mainMs: number;
  otherThreadsMs: number;
}

/** Starts counting; the returned function gives the CPU since, or undefined where it cannot be read. */
export function threadCpuClock(): () => ThreadCpu | undefined {
  const before = threadTicks();
  return () => {
    const after = threadTicks();
    if (!before || !after) return undefined;
    const msPerTick = 1000 / CLOCK_TICKS_PER_SECOND;
    let mainMs = 0;
    let otherThreadsMs = 0;
    for (const [tid, ticks] of after) {
      const ms = (ticks - (before.get(tid) ?? 0)) * msPerTick;
      if (tid === String(process.pid)) mainMs += ms;
      else otherThreadsMs += ms;
    }
    return { mainMs: Math.round(mainMs), otherThreadsMs: Math.round(otherThreadsMs) };
  };
}

/** USER_HZ: 100 on every Linux this runs on (the kernel's ABI for /proc times). */
const CLOCK_TICKS_PER_SECOND = 100;

/** utime + stime of each of this process's threads, in clock ticks. */
function threadTicks(): Map<string, number> | undefined {
  let tids: string[];
  try {
    tids = readdirSync("/proc/self/task");
  } catch {
    return undefined;
  }
  const ticks = new Map<string, number>();
  for (const tid of tids) {
    try {
      const stat = readFileSync(`/proc/self/task/${tid}/stat`, "utf8");
      // After "pid (comm) ": state is field 3, utime and stime fields 14 and 15.
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      ticks.set(tid, Number(fields[11]) + Number(fields[12]));
    } catch {
      // The thread ended between the listing and the read.
    }
  }
  return ticks;
}
