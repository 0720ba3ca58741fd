// Drives the IronFlow web app the way a person does (labels, buttons, links) and reads what it
// shows. Every wait is on the page's state, never on time.
import type { Locator, Page } from "playwright-core";
import type { EntitySyncState, WorkoutSet } from "../../client/core/index.js";
import { testAccount } from "./accounts.js";

export type TypedSet = Pick<WorkoutSet, "reps" | "weight" | "unit" | "rpe">;
export interface TypedExercise {
  name: string;
  sets: TypedSet[];
}

export class AppPage {
  constructor(readonly page: Page) {}

  /**
   * First run: the person a test calls `user` creates their account on this device, or signs in
   * when another device of theirs already did; then the list.
   */
  async setUp(user: string, deviceName: string): Promise<void> {
    const { email, password } = testAccount(user);
    await this.page.getByLabel("Email", { exact: true }).fill(email);
    await this.page.getByLabel("Password", { exact: true }).fill(password);
    await this.page.getByLabel("Device name", { exact: true }).fill(deviceName);
    await this.page.getByRole("button", { name: "Create account" }).click();
    const list = this.page.getByRole("link", { name: "+ New workout" });
    const taken = this.page.getByRole("alert").filter({ hasText: "already has an account" });
    await list.or(taken).first().waitFor();
    if (await taken.isVisible()) {
      await this.page.getByRole("button", { name: "Sign in" }).click();
      await list.waitFor();
    }
  }

  connection(state: "Online" | "Offline"): Promise<void> {
    return this.page.getByTestId("connection").filter({ hasText: new RegExp(`^${state}$`) }).waitFor();
  }

  queueDepth(depth: number): Promise<void> {
    return this.page.locator(`[data-testid="queue-depth"][data-depth="${depth}"]`).waitFor();
  }

  /** Logs a workout through the form; resolves once its page shows it (create() resolved). */
  async logWorkout(title: string, exercises: TypedExercise[]): Promise<void> {
    await this.page.getByRole("link", { name: "+ New workout" }).click();
    await this.page.getByLabel("Workout title", { exact: true }).fill(title);
    for (const [i, exercise] of exercises.entries()) {
      const n = i + 1;
      if (i > 0) await this.page.getByRole("button", { name: "+ Add exercise" }).click();
      await this.page.getByLabel(`Exercise ${n} name`, { exact: true }).fill(exercise.name);
      for (const [j, set] of exercise.sets.entries()) {
        if (j > 0) await this.page.getByRole("button", { name: `Add set to exercise ${n}`, exact: true }).click();
        await this.fillSet(`Exercise ${n} set ${j + 1}`, set);
      }
    }
    await this.page.getByRole("button", { name: "Save workout" }).click();
    await this.page.getByTestId("workout-title").filter({ hasText: title }).waitFor();
  }

  async fillSet(label: string, set: TypedSet): Promise<void> {
    await this.page.getByLabel(`${label} reps`, { exact: true }).fill(String(set.reps));
    await this.page.getByLabel(`${label} weight`, { exact: true }).fill(String(set.weight));
    await this.page.getByLabel(`${label} unit`, { exact: true }).selectOption(set.unit);
    await this.page.getByLabel(`${label} RPE`, { exact: true }).fill(set.rpe === null ? "" : String(set.rpe));
  }

  /** On a workout's page: waits until its badge shows `state`. */
  workoutState(state: EntitySyncState): Promise<void> {
    return this.page.locator(`.workout-meta [data-testid="sync-state"][data-state="${state}"]`).waitFor();
  }

  listItem(title: string): Locator {
    return this.page.getByTestId("workout-item").filter({ hasText: title });
  }

  /** On the list: waits until the workout's row shows `state`. */
  listState(title: string, state: EntitySyncState): Promise<void> {
    return this.listItem(title).locator(`[data-testid="sync-state"][data-state="${state}"]`).waitFor();
  }

  async openWorkout(title: string): Promise<void> {
    await this.listItem(title).click();
    await this.page.getByTestId("workout-title").filter({ hasText: title }).waitFor();
  }

  async backToList(): Promise<void> {
    await this.page.getByRole("link", { name: "← Workouts" }).click();
    await this.page.getByRole("link", { name: "+ New workout" }).waitFor();
  }

  async syncNow(): Promise<void> {
    await this.page.getByRole("button", { name: "Sync now" }).click();
  }

  /** After syncNow(): the button is back (it reads "Syncing…", disabled, while a sync runs). */
  async syncFinished(): Promise<void> {
    await this.page.locator("button:not([disabled])", { hasText: /^Sync now$/ }).waitFor();
  }

  /** Waits until the open workout shows `count` sets under `exercise`. */
  async setCount(exercise: string, count: number): Promise<void> {
    await this.page.waitForFunction(
      ([name, n]) =>
        [...document.querySelectorAll('[data-testid="exercise"]')].some(
          (s) => s.querySelector("h3")?.textContent === name && s.querySelectorAll('[data-testid="set-row"]').length === n,
        ),
      [exercise, count] as const,
    );
  }

  /** The open workout as the page shows it: exercises in order, each set's fields. */
  readWorkout(): Promise<TypedExercise[]> {
    return this.page.$$eval('[data-testid="exercise"]', (sections) =>
      sections.map((section) => ({
        name: section.querySelector("h3")?.textContent ?? "",
        sets: [...section.querySelectorAll('[data-testid="set-row"]')].map((row) => {
          const value = (suffix: string) => row.querySelector<HTMLInputElement | HTMLSelectElement>(`[aria-label$="${suffix}"]`)?.value ?? "";
          const rpe = value(" RPE");
          return { reps: Number(value(" reps")), weight: Number(value(" weight")), unit: value(" unit") as "kg" | "lb", rpe: rpe === "" ? null : Number(rpe) };
        }),
      })),
    );
  }
}
