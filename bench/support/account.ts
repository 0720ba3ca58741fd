// The benchmarks' person: one account, signed in by every device of a run. Password hashing is
// cheap here (the benchmarks measure sync, not sign-in).
import type { AuthOptions } from "../../relay/auth/account-service.js";

export const BENCH_AUTH: Partial<AuthOptions> = { scrypt: { N: 1024, r: 8, p: 1 }, maxSignups: 1_000_000 };

export function benchAccount(label: string): { email: string; password: string } {
  return { email: `${label.toLowerCase().replace(/[^a-z0-9]+/g, "-")}@bench.ironflow.test`, password: "bench password, not secret" };
}
