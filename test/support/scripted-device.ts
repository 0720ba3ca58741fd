// A device as the device unit tests open it: a phone talking to a ScriptedRelay over the
// in-memory transport, on a fake clock, signed in offline, syncing only when the test asks.
import type { StorageAdapterInterface } from "@automerge/automerge-repo/slim";
import { IronFlowClient, type ClientOptions } from "../../client/core/index.js";
import { memoryTransport } from "../../client/core/transport/memory-pair.js";
import { offlineAuthApi, scriptedSession } from "./accounts.js";
import { FakeClock } from "./fake-clock.js";
import type { ScriptedRelay } from "./scripted-relay.js";

/** Opens the device; `options` replace any of the defaults (a clock of the test's, a request timeout, ...). */
export function openScriptedDevice(storage: StorageAdapterInterface, relay: ScriptedRelay, options: Partial<ClientOptions> = {}): Promise<IronFlowClient> {
  return IronFlowClient.open({
    storage,
    transport: memoryTransport((far) => relay.accept(far)),
    auth: { api: offlineAuthApi, session: scriptedSession() },
    deviceName: "phone",
    timers: new FakeClock(),
    syncOnChange: false,
    ...options,
  });
}
