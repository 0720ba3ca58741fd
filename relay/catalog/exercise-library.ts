// The exercise library the relay publishes at start. Editing an entry here and restarting the
// relay sends the change to every device.
import type { ExerciseEntry } from "./catalog.js";

const entry = (key: string, name: string, muscleGroups: string[], equipment: string, description = ""): ExerciseEntry => ({
  key,
  definition: { name, muscleGroups, equipment, description },
});

export const EXERCISE_LIBRARY: readonly ExerciseEntry[] = [
  entry("back-squat", "Back Squat", ["quads", "glutes", "hamstrings"], "barbell"),
  entry("front-squat", "Front Squat", ["quads", "glutes", "core"], "barbell"),
  entry("deadlift", "Deadlift", ["hamstrings", "glutes", "back"], "barbell"),
  entry("romanian-deadlift", "Romanian Deadlift", ["hamstrings", "glutes"], "barbell"),
  entry("bench-press", "Bench Press", ["chest", "triceps", "shoulders"], "barbell"),
  entry("incline-bench-press", "Incline Bench Press", ["chest", "shoulders", "triceps"], "barbell"),
  entry("overhead-press", "Overhead Press", ["shoulders", "triceps"], "barbell"),
  entry("barbell-row", "Barbell Row", ["back", "biceps"], "barbell"),
  entry("pull-up", "Pull-up", ["back", "biceps"], "bodyweight"),
  entry("chin-up", "Chin-up", ["back", "biceps"], "bodyweight"),
  entry("dip", "Dip", ["chest", "triceps"], "bodyweight"),
  entry("lunge", "Walking Lunge", ["quads", "glutes"], "dumbbell"),
  entry("leg-press", "Leg Press", ["quads", "glutes"], "machine"),
  entry("lat-pulldown", "Lat Pulldown", ["back", "biceps"], "cable"),
  entry("biceps-curl", "Biceps Curl", ["biceps"], "dumbbell"),
  entry("triceps-pushdown", "Triceps Pushdown", ["triceps"], "cable"),
  entry("calf-raise", "Standing Calf Raise", ["calves"], "machine"),
  entry("plank", "Plank", ["core"], "bodyweight"),
];
