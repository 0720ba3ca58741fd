// Above any screen: a choice only the person can make is waiting (a workout changed on two
// devices, a possible duplicate).
import type { AppDevice } from "../device/app-device.js";
import { useDeviceVersion } from "../use-device-version.js";
import { routeHref } from "../use-route.js";

export function ReviewPrompt({ device }: { device: AppDevice }) {
  useDeviceVersion(device);
  const conflicts = device.queueItems().filter((item) => item.status === "conflict");
  const duplicates = device.duplicates();
  if (conflicts.length === 0 && duplicates.length === 0) return null;
  const first = conflicts[0];
  const titles = new Map(device.list(undefined, { includeDeleted: true }).map((e) => [e.id, e.title]));
  let text: string;
  let href: string;
  if (first?.conflict) {
    const title = titles.get(first.entityId) ?? "A workout";
    text =
      conflicts.length === 1
        ? `"${title}" was changed on this device and on ${first.conflict.serverDeviceName}. Choose what to keep.`
        : `${conflicts.length} items were changed on this device and on another. Choose what to keep.`;
    href = conflicts.length === 1 ? routeHref({ screen: "conflict", id: first.entityId }) : routeHref({ screen: "review" });
  } else {
    text = duplicates.length === 1 ? "Two workouts were logged for the same time. One session twice?" : `${duplicates.length} pairs of workouts were logged for the same time.`;
    const [only] = duplicates;
    href = duplicates.length === 1 && only ? routeHref({ screen: "duplicate", id: only.id }) : routeHref({ screen: "review" });
  }
  return (
    <section className={`prompt ${first ? "prompt-conflict" : ""}`} aria-label="Needs your choice" data-testid="review-prompt">
      <p>{text}</p>
      <a className="button button-primary" href={href}>
        Review
      </a>
    </section>
  );
}
