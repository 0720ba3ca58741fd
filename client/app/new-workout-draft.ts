// A new workout being typed is kept in localStorage at every keystroke, until it is saved or the
// person discards it: a reload, a Cancel, leaving for another screen, an app update or a failed
// save (a full disk) never loses it. localStorage, not the device store: it is written
// synchronously (nothing is pending when the page goes) and IndexedDB's quota does not apply.
// One draft per user; every tab of the app sees the same one.
import { useSyncExternalStore } from "react";
import type { ExerciseDraft } from "./workout-drafts.js";

export interface NewWorkoutDraft {
  title: string;
  exercises: ExerciseDraft[];
  /** When the person started typing it: the workout's start. */
  startedAt: number;
}

const cache = new Map<string, { raw: string | null; draft: NewWorkoutDraft | undefined }>();

function key(userId: string): string {
  return `ironflow.draft.${userId}`;
}

export function loadDraft(userId: string): NewWorkoutDraft | undefined {
  const raw = localStorage.getItem(key(userId));
  const cached = cache.get(userId);
  if (cached && cached.raw === raw) return cached.draft;
  let draft: NewWorkoutDraft | undefined;
  try {
    const value: unknown = raw === null ? undefined : JSON.parse(raw);
    if (isDraft(value)) draft = value;
  } catch {
    // A corrupt draft is no draft.
  }
  cache.set(userId, { raw, draft });
  return draft;
}

/** Keeps the draft, or forgets it when nothing has been typed yet. */
export function saveDraft(userId: string, draft: NewWorkoutDraft): void {
  if (isBlank(draft)) localStorage.removeItem(key(userId));
  else localStorage.setItem(key(userId), JSON.stringify(draft));
  notify();
}

export function clearDraft(userId: string): void {
  localStorage.removeItem(key(userId));
  notify();
}

export function isBlank(draft: Pick<NewWorkoutDraft, "title" | "exercises">): boolean {
  return (
    draft.title.trim() === "" &&
    draft.exercises.every((e) => e.name.trim() === "" && e.sets.every((s) => s.reps === "" && s.weight === "" && s.rpe === ""))
  );
}

const listeners = new Set<() => void>();
function notify(): void {
  for (const listener of listeners) listener();
}

/** The draft as it is now, also when another tab changes it. */
export function useDraft(userId: string): NewWorkoutDraft | undefined {
  return useSyncExternalStore(
    (onChange) => {
      listeners.add(onChange);
      window.addEventListener("storage", onChange);
      return () => {
        listeners.delete(onChange);
        window.removeEventListener("storage", onChange);
      };
    },
    () => loadDraft(userId),
  );
}

function isDraft(value: unknown): value is NewWorkoutDraft {
  if (typeof value !== "object" || value === null) return false;
  const { title, exercises, startedAt } = value as Record<string, unknown>;
  return (
    typeof title === "string" &&
    typeof startedAt === "number" &&
    Array.isArray(exercises) &&
    exercises.every(
      (e: unknown) =>
        typeof e === "object" &&
        e !== null &&
        typeof (e as ExerciseDraft).key === "string" &&
        typeof (e as ExerciseDraft).name === "string" &&
        Array.isArray((e as ExerciseDraft).sets),
    )
  );
}
