// Minimal counterexamples the property found, run before the generated scenarios (fast-check's
// `examples`), so each one fails the test until its bug is fixed and guards it afterwards.
// Found against 4b993a5; each comment says what happened.
import type { Scenario, Step } from "./scenario.js";

/** No clock skew, no pushes racing the steps: each of these replays the same way every time. */
const calm: Pick<Scenario, "skews" | "autoSync"> = { skews: [0, 0, 0, 0, 0], autoSync: false };

function logSet(device: number, newExercise: boolean, slot = 0, stale = false): Step {
  return { kind: "log_set", device, target: 0, slot, newExercise, stale, reps: 1, weight: 0 };
}

export const COUNTEREXAMPLES: readonly { name: string; scenario: Scenario }[] = [
  {
    // The connection drops during the handshake: RelaySession calls onClosed before
    // SyncEngine.connect() has assigned `session`, and the ReferenceError escapes from the socket's
    // close handler (uncaught exception).
    name: "a connection lost during the handshake",
    scenario: {
      ...calm,
      devices: 2,
      sharedStart: false,
      healChoices: ["merge"],
      steps: [{ kind: "fault", device: 0, direction: "up", fault: "cut" }, { kind: "sync", device: 0 }],
    },
  },
  {
    // A handshake that fails with a code that is not retryable (here FAILED_PRECONDITION: hello
    // duplicated, its error reply overtaking the welcome) marks every pending item "error", and
    // nothing ever tries them again: the workout never reaches the relay.
    name: "a failed handshake strands pending items",
    scenario: {
      ...calm,
      devices: 2,
      sharedStart: false,
      healChoices: ["merge"],
      steps: [
        { kind: "log_workout", device: 0, sets: 1 },
        { kind: "fault", device: 0, direction: "up", fault: "duplicate" },
        { kind: "fault", device: 0, direction: "down", fault: "swap" },
        { kind: "sync", device: 0 },
      ],
    },
  },
  {
    // d0 deletes set-1 while d1 edits it and d2 logs another set. Both d1 and d2 answer their
    // conflict with "mine", and each brings set-1 back as a new list element; when d2 later
    // merges, Automerge keeps both copies: set-1 is shown twice.
    name: "two devices keeping their own version bring one set back twice",
    scenario: {
      ...calm,
      devices: 3,
      sharedStart: true,
      healChoices: ["mine", "mine", "merge"],
      steps: [
        logSet(2, false),
        { kind: "edit_set", device: 1, target: 0, slot: 0, reps: 1, weight: 0 },
        { kind: "delete_set", device: 0, target: 0, slot: 0 },
      ],
    },
  },
  {
    // d1 keeps its version against d0's new exercise (dropping set-3 on purpose) without having
    // seen set-4, which d0 logged into that exercise meanwhile. The relay answers d1's push with
    // a new conflict; "merge" applies d1's removal of the exercise over d0's insert into it, and
    // set-4 is gone: not in the data, no notice, no conflict record.
    name: "merge loses a set logged into an exercise the other side removed",
    scenario: {
      ...calm,
      devices: 2,
      sharedStart: true,
      healChoices: ["merge"],
      steps: [
        logSet(0, true),
        { kind: "edit_workout", device: 1, target: 0, title: "Push" },
        { kind: "sync", device: 0 },
        { kind: "sync", device: 1 },
        { kind: "partition", device: 1 },
        logSet(0, false, 1),
        { kind: "sync", device: 0 },
        { kind: "resolve", device: 1, target: 0, choice: "mine" },
      ],
    },
  },
  {
    // d0 still has the workout open when d1's delete arrives; logging a set then succeeds
    // ("saved") but lands in the tombstoned document: never shown again, no notice.
    name: "a set logged into a workout deleted meanwhile",
    scenario: {
      ...calm,
      devices: 2,
      sharedStart: true,
      healChoices: ["merge"],
      steps: [{ kind: "delete_workout", device: 1, target: 0 }, { kind: "sync", device: 1 }, { kind: "sync", device: 0 }, logSet(0, false, 0, true)],
    },
  },
];
