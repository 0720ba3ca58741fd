// Structured JSON logs, injected so library code never writes to the console itself.
import { systemClock, type Clock } from "./clock.js";
export interface Logger {
  info(event: string, fields?: Record<string, unknown>): void;
  error(event: string, fields?: Record<string, unknown>): void;
}

export function jsonLogger(
  write: (line: string) => void = (line) => process.stdout.write(`${line}\n`),
  clock: Clock = systemClock,
): Logger {
  const emit = (level: string, event: string, fields?: Record<string, unknown>) => {
    write(JSON.stringify({ level, event, time: new Date(clock.now()).toISOString(), ...fields }));
  };
  return {
    info: (event, fields) => emit("info", event, fields),
    error: (event, fields) => emit("error", event, fields),
  };
}

export const silentLogger: Logger = { info: () => undefined, error: () => undefined };
