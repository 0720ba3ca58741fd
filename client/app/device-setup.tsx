// First run on this browser: who logs here and what this device is called. Until accounts
// exist, the user id is what ties a person's devices together.
import { useState, type FormEvent } from "react";
import { userIdSchema } from "../core/index.js";
import { defaultDeviceName, type DeviceSettings } from "./device-settings.js";
// A user id the relay would refuse could never sync, so the relay's own rule refuses it here first.

export function DeviceSetup({ onDone }: { onDone(settings: DeviceSettings): void }) {
  const [userId, setUserId] = useState("me");
  const [deviceName, setDeviceName] = useState(() => defaultDeviceName(navigator.userAgent));
  const [problem, setProblem] = useState<string | null>(null);

  const submit = (event: FormEvent) => {
    event.preventDefault();
    const id = userId.trim();
    const valid = userIdSchema.safeParse(id);
    if (!valid.success) {
      setProblem(`A user id is ${valid.error.issues[0]?.message ?? "not valid"}.`);
      return;
    }
    onDone({ userId: id, deviceName: deviceName.trim() || defaultDeviceName(navigator.userAgent) });
  };

  return (
    <div className="app">
      <header className="app-head">
        <h1>IronFlow</h1>
      </header>
      <main>
        <form className="card" onSubmit={submit} aria-label="Set up this device">
          <h2>Set up this device</h2>
          <p className="hint">Use the same user id on each of your devices: they sync with each other.</p>
          <label className="field">
            <span>Your user id</span>
            <input aria-label="User id" autoCapitalize="none" autoCorrect="off" value={userId} onChange={(e) => setUserId(e.target.value)} />
          </label>
          <label className="field">
            <span>This device's name</span>
            <input aria-label="Device name" value={deviceName} onChange={(e) => setDeviceName(e.target.value)} />
          </label>
          {problem && (
            <p className="form-error" role="alert">
              {problem}
            </p>
          )}
          <button type="submit" className="button button-primary button-block">
            Start logging
          </button>
        </form>
      </main>
    </div>
  );
}
