// The accounts store on the one SQL core: the same statements on pg and PGlite.
// Specification: docs/accounts.md
import type { AccountStore, DeviceRow, RefreshUse } from "./account-store.js";
import { toBigInt, toNumber, toSyncError, toText, type SqlClient, type SqlExecutor, type SqlRow } from "./sql-store.js";

/** ms since the epoch as a timestamptz parameter. */
const AT = (n: number) => `timestamptz 'epoch' + $${n}::int8 * interval '1 millisecond'`;
/** A timestamptz column as ms since the epoch. */
const MS = (column: string) => `(extract(epoch FROM ${column}) * 1000)::int8::text`;

export function createSqlAccountStore(client: SqlClient): AccountStore {
  const guarded = async <T>(work: () => Promise<T>): Promise<T> => {
    try {
      return await work();
    } catch (err) {
      throw toSyncError(err);
    }
  };

  return {
    createAccount: (a) =>
      guarded(() =>
        client.transaction(async (tx) => {
          const inserted = await tx.query(
            `INSERT INTO accounts (user_id, email, password_hash, created_at) VALUES ($1, $2, $3, ${AT(4)})
             ON CONFLICT (email) DO NOTHING RETURNING user_id`,
            [a.userId, a.email, a.passwordHash, String(a.at)],
          );
          if (inserted.rows.length === 0) return "email_taken" as const;
          await insertDevice(tx, a.userId, a.deviceId, a.deviceName, a.at);
          return "created" as const;
        }),
      ),

    findByEmail: (email) =>
      guarded(async () => {
        const result = await client.query("SELECT user_id, password_hash FROM accounts WHERE email = $1", [email]);
        const row = result.rows[0];
        return row ? { userId: toText(row["user_id"], "user_id"), passwordHash: toText(row["password_hash"], "password_hash") } : null;
      }),

    addDevice: (userId, deviceId, name, at) =>
      guarded(() =>
        client.transaction(async (tx) => {
          const existing = await tx.query("SELECT revoked_at IS NOT NULL AS revoked FROM devices WHERE user_id = $1 AND device_id = $2 FOR UPDATE", [userId, deviceId]);
          const row = existing.rows[0];
          if (row?.["revoked"] === true) return "revoked" as const;
          if (row) {
            await tx.query(`UPDATE devices SET name = $3, last_seen_at = ${AT(4)} WHERE user_id = $1 AND device_id = $2`, [userId, deviceId, name, String(at)]);
          } else {
            await insertDevice(tx, userId, deviceId, name, at);
          }
          return "ok" as const;
        }),
      ),

    device: (userId, deviceId) =>
      guarded(async () => {
        const result = await client.query(`SELECT ${DEVICE_COLUMNS} FROM devices WHERE user_id = $1 AND device_id = $2`, [userId, deviceId]);
        const row = result.rows[0];
        return row ? decodeDevice(row) : null;
      }),

    devices: (userId) =>
      guarded(async () => {
        const result = await client.query(`SELECT ${DEVICE_COLUMNS} FROM devices WHERE user_id = $1 ORDER BY created_at, device_id`, [userId]);
        return result.rows.map(decodeDevice);
      }),

    revokeDevice: (userId, deviceId, at) =>
      guarded(() =>
        client.transaction(async (tx) => {
          const revoked = await tx.query(
            `UPDATE devices SET revoked_at = ${AT(3)} WHERE user_id = $1 AND device_id = $2 AND revoked_at IS NULL RETURNING device_id`,
            [userId, deviceId, String(at)],
          );
          await tx.query(`UPDATE refresh_tokens SET revoked_at = ${AT(3)} WHERE user_id = $1 AND device_id = $2 AND revoked_at IS NULL`, [userId, deviceId, String(at)]);
          return revoked.rows.length > 0;
        }),
      ),

    addRefreshToken: (t) =>
      guarded(async () => {
        await client.query(
          `INSERT INTO refresh_tokens (user_id, token_hash, device_id, family_id, issued_at, expires_at) VALUES ($1, $2, $3, $4, ${AT(5)}, ${AT(6)})`,
          [t.userId, t.tokenHash, t.deviceId, t.familyId, String(t.issuedAt), String(t.expiresAt)],
        );
      }),

    useRefreshToken: (userId, tokenHash, at, graceMs) =>
      guarded(() =>
        client.transaction(async (tx): Promise<RefreshUse> => {
          // The row lock orders two uses of one token: the second sees the first's used_at.
          const found = await tx.query(
            `SELECT t.device_id, t.family_id, ${MS("t.used_at")} AS used_ms, ${MS("t.expires_at")} AS expires_ms,
                    t.revoked_at IS NOT NULL OR d.revoked_at IS NOT NULL AS revoked
             FROM refresh_tokens t JOIN devices d ON d.user_id = t.user_id AND d.device_id = t.device_id
             WHERE t.user_id = $1 AND t.token_hash = $2 FOR UPDATE OF t`,
            [userId, tokenHash],
          );
          const row = found.rows[0];
          if (!row || row["revoked"] === true || toNumber(row["expires_ms"], "expires_ms") <= at) return { kind: "invalid" };
          const deviceId = toText(row["device_id"], "device_id");
          const familyId = toText(row["family_id"], "family_id");
          if (row["used_ms"] === null) {
            await tx.query(`UPDATE refresh_tokens SET used_at = ${AT(3)} WHERE user_id = $1 AND token_hash = $2`, [userId, tokenHash, String(at)]);
            return { kind: "fresh", deviceId, familyId };
          }
          if (at - toNumber(row["used_ms"], "used_ms") <= graceMs) return { kind: "in_grace", deviceId, familyId };
          await tx.query(`UPDATE refresh_tokens SET revoked_at = ${AT(3)} WHERE user_id = $1 AND family_id = $2 AND revoked_at IS NULL`, [userId, familyId, String(at)]);
          return { kind: "reused", deviceId, familyId };
        }),
      ),

    revokeRefreshFamily: (userId, tokenHash, at) =>
      guarded(async () => {
        const result = await client.query(
          `UPDATE refresh_tokens SET revoked_at = ${AT(3)}
           WHERE user_id = $1 AND revoked_at IS NULL
             AND family_id = (SELECT family_id FROM refresh_tokens WHERE user_id = $1 AND token_hash = $2)
           RETURNING token_hash`,
          [userId, tokenHash, String(at)],
        );
        return result.rows.length > 0;
      }),

    countFailure: (key, at, windowMs) =>
      guarded(async () => {
        // A window older than windowMs starts over at one.
        const result = await client.query(
          `INSERT INTO auth_attempts AS a (key, window_start, failures) VALUES ($1, ${AT(2)}, 1)
           ON CONFLICT (key) DO UPDATE SET
             failures = CASE WHEN a.window_start <= ${AT(2)} - $3::int8 * interval '1 millisecond' THEN 1 ELSE a.failures + 1 END,
             window_start = CASE WHEN a.window_start <= ${AT(2)} - $3::int8 * interval '1 millisecond' THEN ${AT(2)} ELSE a.window_start END
           RETURNING failures`,
          [key, String(at), String(windowMs)],
        );
        return toNumber(result.rows[0]?.["failures"], "failures");
      }),

    failures: (key, at, windowMs) =>
      guarded(async () => {
        const result = await client.query(
          `SELECT failures FROM auth_attempts WHERE key = $1 AND window_start > ${AT(2)} - $3::int8 * interval '1 millisecond'`,
          [key, String(at), String(windowMs)],
        );
        const row = result.rows[0];
        return row ? toNumber(row["failures"], "failures") : 0;
      }),

    clearFailures: (key) =>
      guarded(async () => {
        await client.query("DELETE FROM auth_attempts WHERE key = $1", [key]);
      }),

    secret: (name, make) =>
      guarded(async () => {
        // Two relays starting together: the first insert wins and both read it back.
        await client.query("INSERT INTO relay_secrets (name, value) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING", [name, make()]);
        const result = await client.query("SELECT value FROM relay_secrets WHERE name = $1", [name]);
        return toText(result.rows[0]?.["value"], "value");
      }),
  };
}

const DEVICE_COLUMNS = `device_id, name, ${MS("created_at")} AS created_ms, ${MS("last_seen_at")} AS seen_ms, ${MS("revoked_at")} AS revoked_ms`;

async function insertDevice(tx: SqlExecutor, userId: string, deviceId: string, name: string, at: number): Promise<void> {
  await tx.query(`INSERT INTO devices (user_id, device_id, name, created_at, last_seen_at) VALUES ($1, $2, $3, ${AT(4)}, ${AT(4)})`, [userId, deviceId, name, String(at)]);
}

function decodeDevice(row: SqlRow): DeviceRow {
  return {
    deviceId: toText(row["device_id"], "device_id"),
    name: toText(row["name"], "name"),
    createdAt: Number(toBigInt(row["created_ms"], "created_ms")),
    lastSeenAt: Number(toBigInt(row["seen_ms"], "seen_ms")),
    revokedAt: row["revoked_ms"] === null ? null : Number(toBigInt(row["revoked_ms"], "revoked_ms")),
  };
}
