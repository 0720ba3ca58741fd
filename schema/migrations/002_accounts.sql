-- Accounts: people, their devices, and the refresh tokens each device holds. Every key starts
-- with the user id (the tables distribute by user like the entities), except the two small
-- relay-wide tables at the end.
-- Specification: docs/accounts.md
CREATE TABLE IF NOT EXISTS accounts (
  user_id       text        PRIMARY KEY,
  -- Lower-cased: one account per address however it is typed.
  email         text        NOT NULL,
  -- scrypt$N$r$p$salt$hash (relay/auth/passwords.ts).
  password_hash text        NOT NULL,
  created_at    timestamptz NOT NULL
);
CREATE UNIQUE INDEX IF NOT EXISTS accounts_email ON accounts (email);

CREATE TABLE IF NOT EXISTS devices (
  user_id      text        NOT NULL,
  device_id    text        NOT NULL,
  name         text        NOT NULL,
  created_at   timestamptz NOT NULL,
  last_seen_at timestamptz NOT NULL,
  -- A revoked device can neither pull nor push, and its id is never given back.
  revoked_at   timestamptz,
  PRIMARY KEY (user_id, device_id)
);

-- A refresh token is used once: its successor is issued in the same family. A token used again
-- after the grace window revokes the whole family (someone has a copy).
CREATE TABLE IF NOT EXISTS refresh_tokens (
  user_id    text        NOT NULL,
  token_hash text        NOT NULL,
  device_id  text        NOT NULL,
  family_id  text        NOT NULL,
  issued_at  timestamptz NOT NULL,
  expires_at timestamptz NOT NULL,
  used_at    timestamptz,
  revoked_at timestamptz,
  PRIMARY KEY (user_id, token_hash)
);
CREATE INDEX IF NOT EXISTS refresh_tokens_family ON refresh_tokens (user_id, family_id);

-- Failed sign-ins per account and per address, in a window (relay/auth/rate-limit.ts).
CREATE TABLE IF NOT EXISTS auth_attempts (
  key          text        PRIMARY KEY,
  window_start timestamptz NOT NULL,
  failures     integer     NOT NULL
);

-- Secrets every relay process on this database shares (the access tokens' signing key).
CREATE TABLE IF NOT EXISTS relay_secrets (
  name  text PRIMARY KEY,
  value text NOT NULL
);
