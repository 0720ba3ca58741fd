// The rest between sets: started when a set is checked off, kept in localStorage as the moment
// it ends (not as seconds left), so a reload, a locked phone or another tab shows the same rest
// and a rest that ended while the page was gone is over when it comes back.
import { useSyncExternalStore } from "react";

export interface Rest {
  /** ms since epoch. */
  endsAt: number;
  /** Its length in seconds, for the progress bar. */
  seconds: number;
  /** What it follows: "Bench Press set 2". */
  after: string;
  /** Whether the end was already signalled (vibration), so a reload does not signal it again. */
  signalled: boolean;
}

const KEY = "ironflow.rest";
const listeners = new Set<() => void>();
let cached: { raw: string | null; rest: Rest | undefined } = { raw: null, rest: undefined };

export function loadRest(): Rest | undefined {
  const raw = localStorage.getItem(KEY);
  if (raw === cached.raw) return cached.rest;
  let rest: Rest | undefined;
  try {
    const value = (raw === null ? undefined : JSON.parse(raw)) as Partial<Rest> | undefined;
    if (value && typeof value.endsAt === "number" && typeof value.seconds === "number" && typeof value.after === "string") {
      rest = { endsAt: value.endsAt, seconds: value.seconds, after: value.after, signalled: value.signalled === true };
    }
  } catch {
    // A corrupt entry is no rest.
  }
  cached = { raw, rest };
  return rest;
}

function store(rest: Rest | undefined): void {
  if (rest) localStorage.setItem(KEY, JSON.stringify(rest));
  else localStorage.removeItem(KEY);
  for (const listener of listeners) listener();
}

export function startRest(seconds: number, after: string, now = Date.now()): void {
  if (seconds <= 0) return;
  store({ endsAt: now + seconds * 1000, seconds, after, signalled: false });
}

/** Longer (or, negative, shorter) by `seconds`. */
export function extendRest(seconds: number): void {
  const rest = loadRest();
  if (rest) store({ ...rest, endsAt: rest.endsAt + seconds * 1000, seconds: Math.max(1, rest.seconds + seconds), signalled: false });
}

export function markSignalled(): void {
  const rest = loadRest();
  if (rest && !rest.signalled) store({ ...rest, signalled: true });
}

export function endRest(): void {
  store(undefined);
}

export function useRest(): Rest | undefined {
  return useSyncExternalStore((onChange) => {
    listeners.add(onChange);
    window.addEventListener("storage", onChange);
    return () => {
      listeners.delete(onChange);
      window.removeEventListener("storage", onChange);
    };
  }, loadRest);
}

/** "1:05" */
export function formatRest(seconds: number): string {
  const s = Math.max(0, Math.ceil(seconds));
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, "0")}`;
}
