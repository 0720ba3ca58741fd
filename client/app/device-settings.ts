// Who this browser logs for (the account it signed in to) and what it calls itself, kept in
// localStorage; the tokens are in the device store itself (encrypted). The device's storage is
// per person, so another person signing in on this browser never mixes two people's workouts,
// and the first person's data stays sealed until they sign in again.
export interface DeviceSettings {
  userId: string;
  deviceName: string;
  email: string;
}

const DEVICE_ID_KEY = "ironflow.device-id";

/** This browser's device id, sent with every sign-in so the relay keeps one id per device. */
export function browserDeviceId(): string {
  let id = localStorage.getItem(DEVICE_ID_KEY);
  if (!id) {
    // getRandomValues, not randomUUID: a plain-http LAN address is not a secure context.
    id = Array.from(crypto.getRandomValues(new Uint8Array(16)), (b) => b.toString(16).padStart(2, "0")).join("");
    localStorage.setItem(DEVICE_ID_KEY, id);
  }
  return id;
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
    ([
      ["Edg/", "Edge"],
      ["Firefox/", "Firefox"],
      ["Chrome/", "Chrome"],
      ["Safari/", "Safari"],
    ] as const).find(([token]) => userAgent.includes(token))?.[1] ?? "Browser";
  const os =
    ([
      ["Android", "Android"],
      ["iPhone", "iPhone"],
      ["iPad", "iPad"],
      ["Windows", "Windows"],
      ["Mac OS", "Mac"],
      ["CrOS", "ChromeOS"],
      ["Linux", "Linux"],
    ] as const).find(([token]) => userAgent.includes(token))?.[1];
  return os ? `${browser} on ${os}` : browser;
}

function isSettings(value: unknown): value is DeviceSettings {
  if (typeof value !== "object" || value === null) return false;
  const { userId, deviceName, email } = value as Record<string, unknown>;
  return typeof userId === "string" && userId.length > 0 && typeof deviceName === "string" && deviceName.length > 0 && typeof email === "string";
}
