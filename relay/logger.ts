// Structured JSON logs through pino, injected so library code never writes to the console
// itself. One JSON object per line: `level` (a name), `time` (ISO, the relay's Clock), `event`,
// then the event's fields. Tokens, passwords and document payloads never belong in a field;
// should one slip in under a known name, it is removed before the line is written.
// Specification: docs/observability.md
import { pino, type DestinationStream } from "pino";
import { systemClock, type Clock } from "./clock.js";

export interface Logger {
  info(event: string, fields?: Record<string, unknown>): void;
  error(event: string, fields?: Record<string, unknown>): void;
}

/** Field names that may hold a secret or a person's data: dropped from every line. */
const NEVER_LOGGED = ["access_token", "accessToken", "refresh_token", "refreshToken", "token", "password", "authorization", "data", "changes", "server_data", "serverData"];

/** Lines to `destination` (stdout by default, written synchronously so none is lost at exit). */
export function jsonLogger(destination: DestinationStream = pino.destination({ dest: 1, sync: true }), clock: Clock = systemClock): Logger {
  const log = pino(
    {
      base: undefined,
      timestamp: () => `,"time":"${new Date(clock.now()).toISOString()}"`,
      formatters: { level: (label) => ({ level: label }) },
      redact: { paths: NEVER_LOGGED, remove: true },
    },
    destination,
  );
  return {
    info: (event, fields) => log.info({ event, ...fields }),
    error: (event, fields) => log.error({ event, ...fields }),
  };
}

export const silentLogger: Logger = { info: () => undefined, error: () => undefined };
