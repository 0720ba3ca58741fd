// How users and devices are named on the wire. One rule, read by the relay (which decides who
// a connection is) and by the app (which helps the person type a valid one).
// Specification: docs/data-model.md
import { z } from "zod";

// Ids starting with "_" are reserved for the relay's own rows (the exercise library).
export const userIdSchema = z
  .string()
  .regex(/^[A-Za-z0-9.:@-][A-Za-z0-9_.:@-]{0,127}$/, "1 to 128 letters, digits or . _ : @ - (no spaces, not starting with _)");

export const deviceIdSchema = z.string().regex(/^[A-Za-z0-9_.:@-]{1,128}$/, "1 to 128 letters, digits or . _ : @ -");
