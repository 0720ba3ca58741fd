// First run on this browser, or after signing out: the person's account and what this device is
// called. Creating an account or signing in gives the session the device store keeps.
import { useState, type SyntheticEvent } from "react";
import { AuthApi, SyncError, type AuthSession } from "../core/index.js";
import { browserDeviceId, defaultDeviceName, type DeviceSettings } from "./device-settings.js";

export function DeviceSetup({ onDone }: { onDone: (settings: DeviceSettings, session: AuthSession) => void }) {
  const [email, setEmail] = useState("");
  const [password, setPassword] = useState("");
  const [deviceName, setDeviceName] = useState(() => defaultDeviceName(navigator.userAgent));
  const [problem, setProblem] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const submit = async (mode: "signup" | "signin") => {
    setBusy(true);
    setProblem(null);
    const api = new AuthApi(window.location.origin);
    const name = deviceName.trim() || defaultDeviceName(navigator.userAgent);
    const request = { email, password, deviceName: name, deviceId: browserDeviceId() };
    try {
      const session = mode === "signup" ? await api.signUp(request) : await api.signIn(request);
      onDone({ userId: session.userId, deviceName: name, email: email.trim().toLowerCase() }, session);
    } catch (err) {
      setProblem(err instanceof SyncError ? err.detail : `Could not reach IronFlow: ${(err as Error).message}`);
      setBusy(false);
    }
  };

  const onSubmit = (event: SyntheticEvent<HTMLFormElement>) => {
    event.preventDefault();
    const submitter = (event.nativeEvent as SubmitEvent).submitter as HTMLButtonElement | null;
    void submit(submitter?.value === "signin" ? "signin" : "signup");
  };

  return (
    <div className="app">
      <header className="app-head">
        <h1>IronFlow</h1>
      </header>
      <main>
      <form className="card" onSubmit={onSubmit} aria-label="Sign in on this device">
        <h2>Sign in on this device</h2>
        <p className="hint">Use the same account on each of your devices: they sync with each other.</p>
        <label className="field">
          <span>Email</span>
          <input type="email" autoComplete="username" autoCapitalize="none" value={email} onChange={(e) => setEmail(e.target.value)} />
        </label>
        <label className="field">
          <span>Password</span>
          <input type="password" autoComplete="current-password" value={password} onChange={(e) => setPassword(e.target.value)} />
        </label>
        <label className="field">
          <span>Device name</span>
          <input value={deviceName} onChange={(e) => setDeviceName(e.target.value)} />
        </label>
        {problem && (
          <p className="form-error" role="alert">
            {problem}
          </p>
        )}
        <button type="submit" name="mode" value="signup" className="button button-primary button-block" disabled={busy}>
          Create account
        </button>
        <button type="submit" name="mode" value="signin" className="button button-secondary button-block" disabled={busy}>
          Sign in
        </button>
      </form>
      </main>
    </div>
  );
}
