// A CPU profile of one window of this process (node:inspector), written as a .cpuprofile that
// Chrome DevTools opens: unlike `node --cpu-prof`, it leaves start-up and the other phases out.
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { Session } from "node:inspector/promises";

export interface ProfileWindow {
  /** Stops profiling and writes `<dir>/<name>.cpuprofile`; returns the file's path. */
  stop(): Promise<string>;
}

export async function profileWindow(dir: string, name: string): Promise<ProfileWindow> {
  const session = new Session();
  session.connect();
  await session.post("Profiler.enable");
  await session.post("Profiler.setSamplingInterval", { interval: 500 });
  await session.post("Profiler.start");
  return {
    async stop() {
      const { profile } = await session.post("Profiler.stop");
      session.disconnect();
      mkdirSync(dir, { recursive: true });
      const path = join(dir, `${name}.cpuprofile`);
      writeFileSync(path, JSON.stringify(profile));
      return path;
    },
  };
}
