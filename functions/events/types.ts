import type { StreamKind } from '../config/schema.js';
import type { Nanos } from '../time/nanos.js';

/** One message as JetStream stored it. */
export interface RawMessage {
  stream: string;
  kind: StreamKind;
  /** The account whose activity an advisories stream records, when the config names it. */
  account?: string;
  seq: number;
  subject: string;
  /** JetStream stored time. */
  ts: Nanos;
  data: Uint8Array;
  /** The message's NATS headers, when it has any (kept in the evidence; no figure reads them). */
  headers?: Record<string, string[]>;
}

export interface Envelope {
  stream: string;
  seq: number;
  ts: Nanos;
}

export interface ClientIdentity {
  account: string;
  user: string | null;
  /** Operator (JWT) mode: the name in the user's JWT (the server's `name_tag`); `user` is then its public key. */
  userName?: string;
  /** Operator mode: the user JWT the client connected with, as the event carried it (decoded by access/). */
  jwt?: string;
  name: string | null;
  host: string | null;
  /** Client, Leafnode, Router, Gateway, … as the server says. */
  kind: string;
}

export type JsOperation =
  | 'stream.create'
  | 'stream.update'
  | 'stream.delete'
  | 'consumer.create'
  | 'consumer.delete'
  | 'msg.delete'
  | 'stream.purge'
  | 'other';

export type NatsEvent =
  | { type: 'connect'; client: ClientIdentity }
  | { type: 'disconnect'; client: ClientIdentity; durationNs: Nanos | null; reason: string }
  | {
      type: 'auth-failure';
      /** The name tried; in operator mode the user key the presented JWT names (events/claimed-user.ts). */
      user: string | null;
      /** Operator mode: the name in the JWT the failed login presented. */
      userName?: string;
      host: string | null;
      name: string | null;
      reason: string;
    }
  | { type: 'leafnode-connect'; account: string; name: string | null; host: string | null }
  | { type: 'js-action'; account: string; operation: JsOperation; target: string; own: boolean }
  | {
      type: 'api-audit';
      account: string;
      user: string | null;
      /** Operator (JWT) mode, nats-server 2.10.10+: the user JWT's name. */
      userName?: string;
      client: string | null;
      host: string | null;
      /** null for reads, which change nothing. */
      operation: JsOperation | null;
      target: string;
      success: boolean;
      detail: string | null;
      own: boolean;
    }
  | { type: 'advisory'; account: string; advisory: string }
  | { type: 'transaction'; subject: string };

export type ParsedEvent = Envelope & NatsEvent;

export interface UnparseableEvent {
  stream: string;
  seq: number;
  subject: string;
  reason: string;
  /** Decided by the parser where it finds the fault; reports written before it existed have no kind. */
  kind: UnparseableKind;
}

/** malformed: broken or of an unexpected shape; forged: contradicts where the server stored it. */
export type UnparseableKind = 'malformed' | 'forged';

export type ParseResult = { ok: true; event: ParsedEvent } | { ok: false; unparseable: UnparseableEvent };
