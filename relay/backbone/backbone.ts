// The messaging seam under the cross-relay fan-out (cross-relay-fanout.ts): a way to hand a small
// text message to the other relay processes. Two implementations: LISTEN/NOTIFY on the shared
// Postgres (pg-notify-backbone.ts) and NATS (nats-backbone.ts). Both are lossy by design: a
// message sent while the link is down may be lost, and the cross-relay fan-out's cursor check
// makes up for it; after an outage the backbone says `reconnected` so the fan-out checks at once.
// Both run test/relay/fanout-suite.ts through CrossRelayFanout.
// Specification: docs/relay.md

/** Every user's pokes, or the exercise library's (to every device of every user). */
export type Topic = { user: string } | "all";

export interface BackboneHandlers {
  /** A message from some relay (this one included: receivers drop their own). */
  message(text: string): void;
  /** The link came back after an outage: messages sent meanwhile may be lost. */
  reconnected(): void;
}

/**
 * Contract:
 * - send(topic, text) hands text to every relay watching the topic ("all": every relay), in
 *   the order this backbone sent them per topic; it never throws and never waits; while the
 *   link is down the text may be lost.
 * - sent() resolves once every text send was given so far has left this relay (or was found
 *   lost); it never rejects.
 * - watch(user) / unwatch(user): from when ready() next resolves, this relay receives that
 *   user's messages / stops needing them (a backbone may deliver more than was watched).
 * - ready() resolves once every watch so far is in force, or at once while the link is down (a
 *   device must still be able to connect; the cursor check covers it).
 * - maxMessageBytes: the longest text send carries.
 * - linkUp() says whether the link to the other relays is up now (for /readyz): while it is
 *   down, pokes are lost and devices on other relays learn of changes only by cursor checks.
 */
export interface Backbone {
  readonly maxMessageBytes: number;
  send(topic: Topic, text: string): void;
  sent(): Promise<void>;
  watch(userId: string): void;
  unwatch(userId: string): void;
  ready(): Promise<void>;
  linkUp(): boolean;
  close(): Promise<void>;
}

export type OpenBackbone = (handlers: BackboneHandlers) => Promise<Backbone>;
