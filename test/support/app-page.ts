// Drives the IronFlow web app the way a person does (labels, buttons, links) and reads what it
// shows. Every wait is on the page's state, never on time.
import { AxeBuilder } from "@axe-core/playwright";
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

  /** On a workout's page: waits until the last edit is written on this device (whatever syncing does next). */
  workoutSaved(): Promise<void> {
    return this.page.locator('.workout-meta [data-testid="sync-state"]:not([data-state="saving"])').waitFor();
  }

  /** On a workout's page: waits until its badge shows `state`. */
  workoutState(state: EntitySyncState): Promise<void> {
    return this.page.locator(`.workout-meta [data-testid="sync-state"][data-state="${state}"]`).waitFor();
  }

  listItem(title: string): Locator {
    return this.page.getByTestId("workout-item").filter({ hasText: title });
  }

  /** On the list: waits until the workout's row shows `state`. */
  async listState(title: string, state: EntitySyncState): Promise<void> {
    await this.listItem(title)
      .locator(`[data-testid="sync-state"][data-state="${state}"]`)
      .waitFor()
      .catch(async (err: unknown) => {
        const shown = await this.listItem(title).locator('[data-testid="sync-state"]').getAttribute("data-state", { timeout: 1000 }).catch(() => "no row");
        throw new Error(`"${title}" shows ${shown}, not ${state}: ${(err as Error).message}`);
      });
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

  /** The app's files are in the service worker's cache: it opens with no signal from now on. */
  offlineReady(): Promise<void> {
    return this.page.locator('[data-testid="offline-ready"][data-ready="true"]').waitFor();
  }

  /** Waits until this tab holds the device store ("leader") or uses the tab that does. */
  tabRole(role: "leader" | "follower"): Promise<void> {
    return this.page.locator(`[data-testid="tab-role"][data-role="${role}"]`).waitFor();
  }

  /** Opens one of the screens from the screen tabs. */
  async screen(name: "Workouts" | "Review" | "Activity" | "Data"): Promise<void> {
    const tab = this.page.getByRole("navigation", { name: "Screens" }).getByRole("link", { name: new RegExp(`^${name}`) });
    await tab.click();
    // The tab marks the screen it shows: a tap that went nowhere fails here, not at the next wait.
    await tab.and(this.page.locator('[aria-current="page"]')).waitFor();
  }

  /** Waits until the status bar counts `count` conflicts to resolve. */
  conflictCount(count: number): Promise<void> {
    return this.page.locator(`[data-testid="conflict-count"][data-count="${count}"]`).waitFor();
  }

  /** On the review screen: opens the side-by-side choice for the workout titled `title`. */
  async reviewConflict(title: string): Promise<void> {
    await this.screen("Review");
    await this.page.getByTestId("conflict-item").filter({ hasText: title }).getByRole("link", { name: "Choose" }).click();
    await this.page.getByTestId("conflict-review").waitFor();
  }

  /** The activity list's entries of one kind (data-kind) about one entity, or all of that kind. */
  activityItems(kind: string, entityId?: string): Locator {
    const entity = entityId ? `[data-entity="${entityId}"]` : "";
    return this.page.locator(`[data-testid="activity-item"][data-kind="${kind}"]${entity}`);
  }

  /** Waits until the open workout shows exactly `expected` (exercises, sets, values). */
  async workoutShows(expected: TypedExercise[]): Promise<void> {
    const want = JSON.stringify(expected);
    await this.page.waitForFunction((json) => {
      const shown = [...document.querySelectorAll('[data-testid="exercise"]')].map((section) => ({
        name: section.querySelector("h3")?.textContent ?? "",
        sets: [...section.querySelectorAll('[data-testid="set-row"]')].map((row) => {
          const value = (suffix: string) => row.querySelector<HTMLInputElement | HTMLSelectElement>(`[aria-label$="${suffix}"]`)?.value ?? "";
          const rpe = value(" RPE");
          return { reps: Number(value(" reps")), weight: Number(value(" weight")), unit: value(" unit"), rpe: rpe === "" ? null : Number(rpe) };
        }),
      }));
      return JSON.stringify(shown) === json;
    }, want).catch(async (err: unknown) => {
      // Say what the page shows instead, not only that it timed out.
      throw new Error(`the workout shows ${JSON.stringify(await this.readWorkout())}, not ${want}: ${(err as Error).message}`);
    });
  }

  /** Accessibility problems axe-core rates serious or critical on the page as it is now. */
  async seriousViolations(): Promise<{ id: string; impact: string; targets: string[] }[]> {
    const result = await new AxeBuilder({ page: this.page }).analyze();
    return result.violations
      .filter((v) => v.impact === "serious" || v.impact === "critical")
      .map((v) => ({ id: v.id, impact: v.impact ?? "", targets: v.nodes.map((n) => n.target.join(" ")) }));
  }

  /** Visible controls smaller than 44 × 44 CSS px, described so a failure names them. */
  smallTargets(): Promise<string[]> {
    return this.page.evaluate(() => {
      const controls = document.querySelectorAll<HTMLElement>('a[href], button, input:not([type="hidden"]), select, textarea, summary, [role="button"], [tabindex]:not([tabindex="-1"])');
      return [...controls].flatMap((el) => {
        const box = el.getBoundingClientRect();
        const style = getComputedStyle(el);
        if (box.width === 0 || box.height === 0 || style.visibility === "hidden" || el.closest(".visually-hidden")) return [];
        if (box.width >= 43.5 && box.height >= 43.5) return [];
        const name = el.getAttribute("aria-label") ?? el.textContent.trim().slice(0, 40);
        return [`${el.tagName.toLowerCase()} "${name}" ${box.width.toFixed(1)}×${box.height.toFixed(1)}`];
      });
    });
  }
}
