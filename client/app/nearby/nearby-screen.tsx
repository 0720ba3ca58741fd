// "Nearby device": this browser and a LAN peer of the person's (`npm run peer` on a laptop on the
// same Wi-Fi), for when the sync server is out of reach. A browser has no mDNS and no raw
// sockets, so the person pastes the invite the peer prints (its address, id and one-time code);
// the device remembers the peer and links again by itself next time. The screen shows each
// peer's link, its address as text and as a QR code, and what went through it.
// Specification: docs/peer-sync.md
import { useState, type SyntheticEvent } from "react";
import { SyncError } from "../../core/index.js";
import { formatMoment } from "../dates.js";
import type { AppDevice, NearbyPeer } from "../device/app-device.js";
import { useDeviceVersion } from "../use-device-version.js";
import { PeerAddressQr } from "./peer-address-qr.js";

export function NearbyScreen({ device }: { device: AppDevice }) {
  useDeviceVersion(device);
  const peers = device.nearbyPeers();
  return (
    <section className="nearby" aria-labelledby="nearby-heading">
      <h2 id="nearby-heading">Nearby device</h2>
      <p className="hint">Sync with your laptop on the same Wi-Fi when the sync server can’t be reached.</p>
      <PairForm device={device} />
      {peers.length > 0 && (
        <ul className="device-list" aria-label="Nearby devices">
          {peers.map((peer) => (
            <PeerRow key={peer.peerId} device={device} peer={peer} />
          ))}
        </ul>
      )}
    </section>
  );
}

function PairForm({ device }: { device: AppDevice }) {
  const [invite, setInvite] = useState("");
  const [busy, setBusy] = useState(false);
  const [problem, setProblem] = useState<string | null>(null);
  const submit = (event: SyntheticEvent<HTMLFormElement>) => {
    event.preventDefault();
    setBusy(true);
    setProblem(null);
    device
      .pairPeer(invite.trim())
      .then(() => setInvite(""))
      .catch((err: unknown) => setProblem(err instanceof SyncError ? err.detail : err instanceof Error ? err.message : String(err)))
      .finally(() => setBusy(false));
  };
  return (
    <form className="card" onSubmit={submit}>
      <label className="field">
        <span>Invite from the nearby device</span>
        <input autoCapitalize="none" autoComplete="off" spellCheck={false} placeholder="ironflow-peer://pair?…" value={invite} onChange={(e) => setInvite(e.target.value)} />
      </label>
      {problem && (
        <p className="form-error" role="alert">
          Could not pair: {problem}
        </p>
      )}
      <button type="submit" className="button button-primary" disabled={busy || invite.trim() === ""}>
        {busy ? "Pairing…" : "Pair"}
      </button>
    </form>
  );
}

function PeerRow({ device, peer }: { device: AppDevice; peer: NearbyPeer }) {
  const state = peer.connected ? "Linked" : peer.lastError ? "Not linked" : "Linking…";
  return (
    <li className="card" data-testid="nearby-peer">
      <p>
        <strong>{peer.name}</strong> · <span data-testid="nearby-state">{state}</span>
      </p>
      <p className="hint">{peer.lastAddress}</p>
      <PeerAddressQr address={peer.lastAddress} />
      <p data-testid="nearby-synced">
        {peer.pulled} received · {peer.pushed} sent
        {peer.lastSyncAt !== null && ` · last ${formatMoment(peer.lastSyncAt)}`}
      </p>
      {peer.lastError && (
        <p className="form-error" role="alert">
          {peer.lastError}
        </p>
      )}
      <button type="button" className="button button-secondary" onClick={() => void device.forgetPeer(peer.peerId)}>
        Forget {peer.name}
      </button>
    </li>
  );
}
