// An IronFlow export file written as another device would write it (client/core/queue/
// export-import.ts describes the format): each entity one Automerge document, checked by the
// schema. For tests that need thousands of entities on a device in seconds: the app imports the
// file through its own Data screen, where creating them one by one on a device takes minutes.
import * as A from "@automerge/automerge";
import { generateAutomergeUrl, parseAutomergeUrl } from "@automerge/automerge-repo/slim";
import { HybridLogicalClock } from "../../client/core/index.js";
import { validateDocument, type Payloads } from "../../schema/entities.js";

export function workoutsExportFile(workouts: Payloads["workout"][], device = { id: "archive-device", name: "Old phone" }): object {
  const clock = new HybridLogicalClock(device.id);
  const entities = workouts.map((payload) => {
    const id = parseAutomergeUrl(generateAutomergeUrl()).documentId;
    const at = payload.startedAt;
    const checked = validateDocument("workout", {
      type: "workout",
      id,
      createdAt: at,
      createdBy: device,
      updatedAt: at,
      deviceId: device.id,
      deviceName: device.name,
      hlc: clock.tick(),
      baseVersion: 0,
      deleted: null,
      payload,
    });
    if (!checked.ok) throw new Error(`not a workout document: ${checked.message}`);
    const doc = A.from<Record<string, unknown>>(checked.value);
    const automerge = Buffer.from(A.save(doc)).toString("base64");
    A.free(doc);
    return { type: "workout", id, data: checked.value, automerge };
  });
  return { format: "ironflow-export", version: 1, exportedAt: Date.now(), entities };
}
