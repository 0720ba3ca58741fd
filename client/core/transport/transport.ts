// The device's one transport seam: the relay's WebSocket today, a LAN peer or an in-memory pair
// later. A Connection carries whole binary frames in order.
//
// Contract:
// - connect() resolves with an open connection, or rejects with SyncError(UNAVAILABLE) when the
//   other side cannot be reached (the caller retries on its schedule).
// - Frames that arrive before the first onFrame listener is added are kept for it (the far end
//   may speak first, before connect's caller holds the connection).
// - After close, or when the other side goes away, onClose listeners run exactly once and send()
//   is a no-op; frames are never delivered after close. A listener gets the reason and, when the
//   other side closed with one, its close code (schema/protocol/close-codes.ts: RELAY_RESTARTING
//   means reconnect at once).
// Specification: docs/sync-protocol.md
export interface Connection {
  send(frame: Uint8Array): void;
  onFrame(listener: (frame: Uint8Array) => void): void;
  onClose(listener: (reason: string, code?: number) => void): void;
  close(): void;
}

export interface Transport {
  connect(): Promise<Connection>;
}
