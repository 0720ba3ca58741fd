// The picker's choices for what the person typed: exercises they did recently first (most recent
// at the top), then the library's, matched by name or muscle group; each name once.
import type { LibraryExercise } from "./use-exercise-library.js";
import { sameExercise } from "./training-history.js";

export interface ExerciseChoice {
  name: string;
  muscleGroups: string[];
  recent: boolean;
}

export function exerciseChoices(query: string, recent: readonly string[], library: readonly LibraryExercise[], limit = 30): ExerciseChoice[] {
  const words = query.trim().toLowerCase().split(/\s+/).filter(Boolean);
  const matches = (choice: ExerciseChoice) => {
    const text = [choice.name, ...choice.muscleGroups].join(" ").toLowerCase();
    return words.every((w) => text.includes(w));
  };
  const groupsOf = (name: string) => library.find((e) => sameExercise(e.name, name))?.muscleGroups ?? [];
  const choices: ExerciseChoice[] = recent.map((name) => ({ name, muscleGroups: groupsOf(name), recent: true }));
  for (const e of library) if (!choices.some((c) => sameExercise(c.name, e.name))) choices.push({ name: e.name, muscleGroups: e.muscleGroups, recent: false });
  return choices.filter(matches).slice(0, limit);
}
