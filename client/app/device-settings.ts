// Who this browser logs for and what it calls itself. Until accounts exist the person types a
// user id once; both values stay in localStorage. The device's storage is per user, so
// switching user never mixes two people's workouts in one IndexedDB database.
export interface DeviceSettings {
  userId: string;
  deviceName: string;
}

const KEY = "ironflow.device";

export function loadSettings(): DeviceSettings | undefined {
  const raw = localStorage.getItem(KEY);
  if (!raw) return undefined;
  try {
    const value: unknown = JSON.parse(raw);
    if (isSettings(value)) return value;
  } catch {
    // A corrupt entry is the same as none: the person is asked again.
  }
  return undefined;
}

export function saveSettings(settings: DeviceSettings): void {
  localStorage.setItem(KEY, JSON.stringify(settings));
}

export function forgetSettings(): void {
  localStorage.removeItem(KEY);
}

/** "Chrome on Android", "Safari on iPhone"; good enough to tell one's own devices apart. */
export function defaultDeviceName(userAgent: string): string {
  const browser =
    [
      ["Edg/", "Edge"],
      ["Firefox/", "Firefox"],
      ["Chrome/", "Chrome"],
      ["Safari/", "Safari"],
    ].find(([token]) => userAgent.includes(token!))?.[1] ?? "Browser";
  const os =
    [
      ["Android", "Android"],
      ["iPhone", "iPhone"],
      ["iPad", "iPad"],
      ["Windows", "Windows"],
      ["Mac OS", "Mac"],
      ["CrOS", "ChromeOS"],
      ["Linux", "Linux"],
    ].find(([token]) => userAgent.includes(token!))?.[1];
  return os ? `${browser} on ${os}` : browser;
}

function isSettings(value: unknown): value is DeviceSettings {
  if (typeof value !== "object" || value === null) return false;
  const { userId, deviceName } = value as Record<string, unknown>;
  return typeof userId === "string" && userId.length > 0 && typeof deviceName === "string" && deviceName.length > 0;
}
