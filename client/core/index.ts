// The client core's public API. The app and tests import from here only.
export {
  IronFlowClient,
  MANUAL_SYNC_MESSAGE,
  type ClientOptions,
  type EntityListItem,
  type EntitySyncState,
  type ResolutionEntry,
  type SyncMetrics,
  type SyncStatusSnapshot,
  type PeerLink,
  type PeerLinkOptions,
  type PeerLinkStatus,
  type PeerReport,
  type KnownPeerInfo,
} from "./client.js";
export type { SyncReport, SyncLogger, SyncProgress } from "./sync/sync-engine.js";
export type { SyncTrigger } from "./sync/sync-scheduler.js";
export { systemTimers, type Timers } from "./clock/timers.js";
export { RETRY_SCHEDULE_SECONDS } from "./queue/retry-schedule.js";
export { jsonSyncLogger } from "./sync/debug-log.js";
export type { LibraryNotice, DuplicateFlag } from "./conflicts/notices.js";
export type { ConflictChoice } from "./conflicts/plan-resolution.js";
export { ResolutionKind } from "../../schema/protocol/frames.js";
export type { SyncQueueItem, ConflictRecord, QueueStatus } from "./queue/queue-item.js";
export type { Transport, Connection } from "./transport/transport.js";
export { webSocketTransport, type WebSocketFactory, type WebSocketLike } from "./transport/websocket.js";
export { HybridLogicalClock } from "./clock/hlc.js";
export * from "../../schema/entities.js";
export { Code, SyncError, codeName } from "../../schema/status.js";
export { SCHEMA_VERSION, SchemaTooNew } from "../../schema/document-version.js";
export { userIdSchema } from "../../schema/identity.js";
export { EncryptedStorage, StorageUnreadable, newStorageKey, importStorageKey, webCryptoCipher, type StorageCipher } from "./storage/encrypted-storage.js";
export type { DeviceStorage } from "./storage/device-storage.js";
export { memoryTransport, type MemoryTransport } from "./transport/memory-pair.js";
export { pairWithPeer, secureTransport, type PeerCredentials, type PairingRequest } from "./peer/secure-channel.js";
export { PeerKeyChanged } from "./peer/peer-identity.js";
export { readPeerInvite, writePeerInvite, type PeerInvite } from "./peer/invite.js";
export { IndexedDbStorage } from "./storage/indexeddb-storage.js";
export { StorageWriteFailed } from "./storage/device-storage.js";
export { AuthApi, type Fetch } from "./auth/auth-api.js";
export type { AuthSession, DeviceInfo, CredentialsRequest } from "../../schema/accounts.js";
