// CPU time of this process (all its threads), in ms: on a shared, busy machine this says how
// much work a path does, where wall time also says how long it waited for a CPU.
export function cpuClock(): () => number {
  const start = process.cpuUsage();
  return () => {
    const used = process.cpuUsage(start);
    return (used.user + used.system) / 1000;
  };
}
