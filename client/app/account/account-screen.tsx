// The person's account on this device: who is signed in, their devices (revoking a lost phone
// ends its session at once), and signing out, which never deletes what has not synced: the
// screen says how much waits and offers to sync it first.
// Specification: docs/accounts.md
import { useEffect, useState } from "react";
import { SyncError, type DeviceInfo } from "../../core/index.js";
import { formatMoment } from "../dates.js";
import type { AppDevice } from "../device/app-device.js";
import type { DeviceSettings } from "../device-settings.js";
import { useDeviceVersion } from "../use-device-version.js";

interface Props {
  device: AppDevice;
  settings: DeviceSettings;
  onSignOut: () => void;
}

export function AccountScreen({ device, settings, onSignOut }: Props) {
  return (
    <section className="account" aria-labelledby="account-heading">
      <h2 id="account-heading">Account</h2>
      <div className="card">
        <p>
          Signed in as <strong data-testid="account-email">{settings.email}</strong> on <strong>{settings.deviceName}</strong>.
        </p>
      </div>
      <DeviceList device={device} />
      <SignOut device={device} onSignOut={onSignOut} />
    </section>
  );
}

function DeviceList({ device }: { device: AppDevice }) {
  const [devices, setDevices] = useState<DeviceInfo[] | null>(null);
  const [problem, setProblem] = useState<string | null>(null);
  const [loads, setLoads] = useState(0);

  useEffect(() => {
    let current = true;
    device
      .devices()
      .then((list) => current && setDevices(list))
      .catch((err: unknown) => current && setProblem(words(err, "Your devices could not be listed")));
    return () => {
      current = false;
    };
  }, [device, loads]);

  const revoke = (target: DeviceInfo) => {
    if (!window.confirm(`Sign out ${target.name}? It stops syncing at once; what it has not synced stays on it.`)) return;
    setProblem(null);
    device
      .revokeDevice(target.deviceId)
      .then(() => setLoads((n) => n + 1))
      .catch((err: unknown) => setProblem(words(err, `${target.name} could not be signed out`)));
  };

  return (
    <div className="card">
      <h3>Your devices</h3>
      {problem && (
        <p className="form-error" role="alert">
          {problem}
        </p>
      )}
      {devices === null && !problem && <p className="hint">Asking the sync server…</p>}
      {devices && (
        <ul className="device-list" aria-label="Your devices">
          {devices.map((d) => (
            <li key={d.deviceId} className="row-card" data-testid="device-item" data-revoked={d.revoked}>
              <p>
                <strong>{d.name}</strong>
                {d.current && " (this device)"}
                <br />
                <span className="hint">{d.revoked ? "Signed out" : `Last seen ${formatMoment(d.lastSeenAt)}`}</span>
              </p>
              {!d.current && !d.revoked && (
                <button type="button" className="button button-danger" onClick={() => revoke(d)}>
                  Sign out {d.name}
                </button>
              )}
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}

function SignOut({ device, onSignOut }: { device: AppDevice; onSignOut: () => void }) {
  useDeviceVersion(device);
  const [syncing, setSyncing] = useState(false);
  const [problem, setProblem] = useState<string | null>(null);
  const waiting = device.status().queueDepth;

  const syncFirst = () => {
    setSyncing(true);
    setProblem(null);
    device
      .syncNow()
      .catch((err: unknown) => setProblem(words(err, "Could not sync")))
      .finally(() => setSyncing(false));
  };

  return (
    <div className="card">
      <h3>Sign out</h3>
      {waiting > 0 ? (
        <p className="hint" data-testid="sign-out-waiting" data-count={waiting}>
          {waiting} change{waiting === 1 ? " has" : "s have"} not synced yet. Signing out keeps {waiting === 1 ? "it" : "them"} on this device, sealed,
          and {waiting === 1 ? "it syncs" : "they sync"} when you sign in here again.
        </p>
      ) : (
        <p className="hint">Everything on this device has synced.</p>
      )}
      {problem && (
        <p className="form-error" role="alert">
          {problem}
        </p>
      )}
      <div className="activity-actions">
        {waiting > 0 && (
          <button type="button" className="button button-primary" onClick={syncFirst} disabled={syncing}>
            {syncing ? "Syncing…" : "Sync now first"}
          </button>
        )}
        <button type="button" className="button button-secondary" onClick={onSignOut}>
          {waiting > 0 ? "Sign out anyway" : "Sign out"}
        </button>
      </div>
    </div>
  );
}

function words(err: unknown, what: string): string {
  return `${what}: ${err instanceof SyncError ? err.detail : (err as Error).message}`;
}
