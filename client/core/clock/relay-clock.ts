// The device's clock, corrected to the relay's. A phone whose clock runs an hour fast would
// otherwise win every last-write rule for an hour; the relay says its time in every handshake
// and the device keeps the difference (across restarts, so it holds offline too). Small
// differences (network delay, a few seconds of drift) are below what a person can do twice in,
// so a clock within TRUSTED_SKEW_MS of the relay's is used as it is.
// Specification: docs/conflicts.md
export const TRUSTED_SKEW_MS = 60_000;

export function relayCorrectedClock(now: () => number, offsetMs: () => number): () => number {
  return () => {
    const offset = offsetMs();
    return Math.abs(offset) > TRUSTED_SKEW_MS ? now() + offset : now();
  };
}
