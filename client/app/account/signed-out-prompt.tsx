// Shown when this device holds no session: the relay ended it (the device was signed out from
// another one, or its refresh token was stolen and used) or it expired for good. Nothing is lost:
// what waits stays queued, and signing in again as the same person syncs it.
// Specification: docs/accounts.md
import { useState, type SyntheticEvent } from "react";
import { AuthApi, SyncError } from "../../core/index.js";
import type { AppDevice } from "../device/app-device.js";
import { browserDeviceId, type DeviceSettings } from "../device-settings.js";
import { useDeviceVersion } from "../use-device-version.js";

export function SignedOutPrompt({ device, settings }: { device: AppDevice; settings: DeviceSettings }) {
  useDeviceVersion(device);
  const [password, setPassword] = useState("");
  const [problem, setProblem] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  if (device.account().signedIn) return null;
  const waiting = device.status().queueDepth;

  const signIn = async () => {
    setBusy(true);
    setProblem(null);
    try {
      const request = { email: settings.email, password, deviceName: settings.deviceName, deviceId: browserDeviceId() };
      await device.signedIn(await new AuthApi(window.location.origin).signIn(request));
      setPassword("");
    } catch (err) {
      setProblem(err instanceof SyncError ? err.detail : `Could not reach IronFlow: ${(err as Error).message}`);
    } finally {
      setBusy(false);
    }
  };
  const onSubmit = (event: SyntheticEvent<HTMLFormElement>) => {
    event.preventDefault();
    void signIn();
  };

  return (
    <form className="card notice-signed-out" onSubmit={onSubmit} aria-label="Sign in to sync">
      <p role="status" data-testid="signed-out">
        This device is signed out, so it is not syncing.
        {waiting > 0 && ` ${waiting} change${waiting === 1 ? " waits" : "s wait"} here and will sync once you sign in.`}
      </p>
      <label className="field">
        <span>Password for {settings.email}</span>
        <input type="password" autoComplete="current-password" value={password} onChange={(e) => setPassword(e.target.value)} />
      </label>
      {problem && (
        <p className="form-error" role="alert">
          {problem}
        </p>
      )}
      <button type="submit" className="button button-primary" disabled={busy || password === ""}>
        Sign in to sync
      </button>
    </form>
  );
}
