// The device's session with the relay: whose data this store holds, which device this is, and
// the tokens that prove it, kept with everything else the device keeps (encrypted at rest).
// An access token near its expiry is refreshed once, however many callers ask at the same time;
// a refresh the relay refuses signs the device out: the queue waits, nothing is dropped, and
// signing in again as the same person picks up where it was. A store holds one person's data:
// a session of another person is refused, so their changes are never sent as someone else's.
// Specification: docs/accounts.md
import type { AuthSession } from "../../../schema/accounts.js";
import { Code, SyncError } from "../../../schema/status.js";
import type { Timers } from "../clock/timers.js";
import type { RecordStore } from "../storage/record-store.js";
import type { AuthApi } from "./auth-api.js";

export interface StoredSession {
  userId: string;
  deviceId: string;
  /** Empty once signed out. */
  accessToken: string;
  /** On this device's clock (the relay says how long a token lives, not until when). */
  accessExpiresAt: number;
  refreshToken: string;
}

/** Refresh this long before the access token expires, so a request in flight does not meet the expiry. */
const EARLY_REFRESH_MS = 30_000;

export class Credentials {
  private refreshing: Promise<string> | undefined;

  private constructor(
    private readonly store: RecordStore<StoredSession>,
    private readonly api: AuthApi,
    private readonly timers: Timers,
    private session: StoredSession,
    private readonly onChange: () => void,
  ) {}

  /**
   * The store's session, replaced by `given` (a fresh sign-in) when there is one. Rejects with
   * PERMISSION_DENIED when `given` is another person's than the one whose data the store holds,
   * and FAILED_PRECONDITION when there is neither.
   */
  static async open(store: RecordStore<StoredSession>, api: AuthApi, timers: Timers, given: AuthSession | undefined, onChange: () => void): Promise<Credentials> {
    const stored = await store.get("self");
    if (given && stored && stored.userId !== given.userId) {
      throw new SyncError(Code.PERMISSION_DENIED, "this device's data belongs to another person: it stays sealed and is not sent");
    }
    const session = given ? fromAuth(given, timers.now()) : stored;
    if (!session) throw new SyncError(Code.FAILED_PRECONDITION, "sign in or sign up first");
    if (given) await store.put("self", session);
    return new Credentials(store, api, timers, session, onChange);
  }

  get userId(): string {
    return this.session.userId;
  }

  get deviceId(): string {
    return this.session.deviceId;
  }

  get signedIn(): boolean {
    return this.session.refreshToken !== "";
  }

  /** A valid access token: the one held, or a refreshed one. UNAUTHENTICATED when signed out. */
  accessToken(): Promise<string> {
    if (!this.signedIn) return Promise.reject(signedOut());
    if (this.timers.now() < this.session.accessExpiresAt - EARLY_REFRESH_MS) return Promise.resolve(this.session.accessToken);
    return this.renew();
  }

  /**
   * A new access token for the refresh token (the relay refused the one held, or it is expiring).
   * One refresh at a time: concurrent callers share it. UNAVAILABLE (offline) keeps the session
   * for a later try; UNAUTHENTICATED signs the device out.
   */
  renew(): Promise<string> {
    if (!this.signedIn) return Promise.reject(signedOut());
    this.refreshing ??= this.refreshOnce().finally(() => {
      this.refreshing = undefined;
    });
    return this.refreshing;
  }

  /** Signs in again (after a sign-out or an expired session) as the same person. */
  async replace(given: AuthSession): Promise<void> {
    if (given.userId !== this.session.userId) throw new SyncError(Code.PERMISSION_DENIED, "this device's data belongs to another person");
    await this.save(fromAuth(given, this.timers.now()));
  }

  /** Ends the session here and at the relay (best effort when offline). The data stays. */
  async signOut(): Promise<void> {
    const refreshToken = this.session.refreshToken;
    await this.save({ ...this.session, accessToken: "", accessExpiresAt: 0, refreshToken: "" });
    if (refreshToken) await this.api.signOut(refreshToken).catch(() => undefined);
  }

  private async refreshOnce(): Promise<string> {
    let next: AuthSession;
    try {
      next = await this.api.refresh(this.session.refreshToken);
    } catch (err) {
      if (err instanceof SyncError && err.code === Code.UNAUTHENTICATED) {
        await this.save({ ...this.session, accessToken: "", accessExpiresAt: 0, refreshToken: "" });
        throw new SyncError(Code.UNAUTHENTICATED, `signed out: ${err.detail}`);
      }
      throw err;
    }
    await this.save(fromAuth(next, this.timers.now()));
    return this.session.accessToken;
  }

  private async save(session: StoredSession): Promise<void> {
    this.session = session;
    await this.store.put("self", session);
    this.onChange();
  }
}

function fromAuth(auth: AuthSession, now: number): StoredSession {
  return { userId: auth.userId, deviceId: auth.deviceId, accessToken: auth.accessToken, accessExpiresAt: now + auth.expiresIn * 1000, refreshToken: auth.refreshToken };
}

function signedOut(): SyncError {
  return new SyncError(Code.UNAUTHENTICATED, "signed out: sign in to sync");
}
