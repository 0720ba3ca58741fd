// How the app writes dates and times: in the person's locale, short.
export function formatDate(ms: number): string {
  return new Date(ms).toLocaleString(undefined, { weekday: "short", day: "numeric", month: "short", hour: "2-digit", minute: "2-digit" });
}

/** A time today as "14:02:11"; another day with its date. */
export function formatMoment(ms: number): string {
  const at = new Date(ms);
  return at.toDateString() === new Date().toDateString()
    ? at.toLocaleTimeString(undefined, { hour: "2-digit", minute: "2-digit", second: "2-digit" })
    : at.toLocaleString(undefined, { dateStyle: "medium", timeStyle: "short" });
}

/** A workout's title when the person gave none: "Workout, Monday". */
export function defaultTitle(): string {
  return `Workout, ${new Date().toLocaleDateString(undefined, { weekday: "long" })}`;
}
