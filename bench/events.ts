/**
 * Synthetic but realistic capture-stream traffic for the replay benchmark: real nats-server 2.10.27 payloads
 * (templates.ts) with ids, names, hosts and times varied, in the mix a busy day holds:
 * ~40% client connect/disconnect, ~5% authentication failures, ~40% JetStream API audit records (mostly
 * reads; some changes with their stream/consumer action advisories) and ~15% application transactions.
 */
import { TEMPLATES } from './templates.js';

/** Where a message goes: the AUDIT account's capture streams or the APP account's TRANSACTIONS stream. */
export type Target = 'SYS_EVENTS' | 'APP_JS_ADVISORIES' | 'AUDIT_JS_ADVISORIES' | 'TRANSACTIONS';

export interface BenchMessage {
  target: Target;
  subject: string;
  data: Uint8Array;
}

/** A small deterministic PRNG (mulberry32), so every run loads the same mix. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const SERVICES = [
  'payments-svc',
  'ledger-svc',
  'orders-api',
  'billing-worker',
  'settlement-batch',
  'fx-rates',
  'risk-engine',
  'reporting-etl',
  'notifications',
  'kyc-check',
  'gl-posting',
  'invoice-svc',
  'refunds-svc',
  'treasury-sync',
];
const USERS = ['app', 'payments', 'ledger', 'orders', 'billing', 'settlement', 'risk', 'etl'];
const BAD_USERS = ['app', 'mallory', 'admin', 'root', 'test', 'payments', 'guest'];
const OPERATORS = ['ops-admin', 'deploy-bot', 'dba-jane', 'sre-oncall'];
const APP_STREAMS = ['TRANSACTIONS', 'ORDERS', 'LEDGER', 'INVOICES', 'FX_RATES', 'REFUNDS', 'KV_config', 'EVENTS'];
const TX_SUBJECTS: [string, number][] = [
  ['tx.created', 40],
  ['tx.authorized', 25],
  ['tx.settled', 25],
  ['tx.refunded', 6],
  ['tx.chargeback', 2],
  ['tx.reversed', 2],
];
const CURRENCIES = ['USD', 'EUR', 'GBP', 'JPY', 'CHF'];
const SERVER_ID = TEMPLATES.authError.subject.split('.')[2]!;

const encoder = new TextEncoder();
const clone = <T>(value: T): T => JSON.parse(JSON.stringify(value)) as T;
type Json = Record<string, any>;

/** An RFC 3339 instant with nine fractional digits, as nats-server writes them. */
function instant(ms: number, sub: number): string {
  return `${new Date(ms).toISOString().slice(0, -1)}${String(sub).padStart(6, '0')}Z`;
}

const NUID_ALPHABET = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

interface Session {
  account: string;
  user: string;
  name: string;
  host: string;
  id: number;
  startMs: number;
}

/** What a mutating operation looks like: its API audit template and, when the server announces it, its advisory. */
const CHANGES = [
  { audit: 'apiStreamCreate', advisory: 'streamCreated', weight: 2 },
  { audit: 'apiStreamUpdate', advisory: 'streamUpdated', weight: 3 },
  { audit: 'apiConsumerCreate', advisory: 'consumerCreated', weight: 6 },
  { audit: 'apiConsumerDelete', advisory: 'consumerDeleted', weight: 5 },
  { audit: 'apiStreamDelete', advisory: 'streamDeleted', weight: 1 },
  { audit: 'apiMsgDelete', advisory: null, weight: 2 },
  { audit: 'apiPurge', advisory: null, weight: 1 },
  { audit: 'auditApiMsgDeleteRefused', advisory: null, weight: 1 },
] as const;

/** Unit kinds: share of all messages, and messages per unit (a change with its advisory is two). */
const UNITS = [
  { kind: 'connect', share: 0.2, size: 1 },
  { kind: 'disconnect', share: 0.2, size: 1 },
  { kind: 'auth', share: 0.05, size: 1 },
  { kind: 'read', share: 0.34, size: 1 },
  { kind: 'change', share: 0.06, size: 1.8 },
  { kind: 'tx', share: 0.15, size: 1 },
] as const;

export class EventGenerator {
  private readonly random: () => number;
  private readonly open: Session[] = [];
  private clientId = 100;
  private idCounter = 0;
  private txId = 0;
  private consumerSerial = 0;
  readonly produced: Record<Target, number> = {
    SYS_EVENTS: 0,
    APP_JS_ADVISORIES: 0,
    AUDIT_JS_ADVISORIES: 0,
    TRANSACTIONS: 0,
  };
  private readonly unitWeights: number[];

  constructor(seed = 20261127) {
    this.random = rng(seed);
    this.unitWeights = UNITS.map((u) => u.share / u.size);
  }

  private pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.random() * items.length)]!;
  }

  private weighted<T>(items: readonly T[], weight: (t: T) => number): T {
    const total = items.reduce((s, t) => s + weight(t), 0);
    let r = this.random() * total;
    for (const item of items) {
      r -= weight(item);
      if (r < 0) return item;
    }
    return items[items.length - 1]!;
  }

  private eventId(): string {
    let s = '';
    for (let i = 0; i < 22; i++) s += NUID_ALPHABET[Math.floor(this.random() * 62)];
    this.idCounter += 1;
    return s;
  }

  private host(): string {
    return `10.0.${Math.floor(this.random() * 4)}.${10 + Math.floor(this.random() * 40)}`;
  }

  private message(target: Target, subject: string, data: unknown): BenchMessage {
    this.produced[target] += 1;
    return { target, subject, data: encoder.encode(typeof data === 'string' ? data : JSON.stringify(data)) };
  }

  /** The next `count` messages (a unit is never split across calls, so a batch may hold one more). */
  batch(count: number): BenchMessage[] {
    const out: BenchMessage[] = [];
    while (out.length < count) this.unit(out);
    return out;
  }

  private unit(out: BenchMessage[]): void {
    const now = Date.now();
    const sub = Math.floor(this.random() * 1e6);
    const kind = this.weighted(
      UNITS.map((u, i) => ({ ...u, w: this.unitWeights[i]! })),
      (u) => u.w,
    ).kind;
    switch (kind) {
      case 'connect':
      case 'disconnect': {
        if (kind === 'disconnect' && this.open.length > 0) {
          const s = this.open.splice(Math.floor(this.random() * this.open.length), 1)[0]!;
          const e = clone(TEMPLATES.disconnect.data) as Json;
          e.id = this.eventId();
          e.timestamp = instant(now, sub);
          e.server.time = instant(now, sub);
          e.server.seq = this.idCounter;
          Object.assign(e.client, {
            start: instant(s.startMs, 0),
            stop: instant(now, sub),
            host: s.host,
            id: s.id,
            acc: s.account,
            user: s.user,
            name: s.name,
            rtt: 200_000 + Math.floor(this.random() * 5e6),
          });
          e.sent = { msgs: Math.floor(this.random() * 5000), bytes: Math.floor(this.random() * 5e6) };
          e.received = { msgs: Math.floor(this.random() * 5000), bytes: Math.floor(this.random() * 5e6) };
          e.reason =
            this.random() < 0.9
              ? 'Client Closed'
              : this.pick(['Stale Connection', 'Slow Consumer (Write Deadline)', 'Read Error']);
          out.push(this.message('SYS_EVENTS', `$SYS.ACCOUNT.${s.account}.DISCONNECT`, e));
          return;
        }
        const account = this.random() < 0.9 ? 'APP' : 'AUDIT';
        const s: Session = {
          account,
          user: account === 'APP' ? this.pick(USERS) : 'audit',
          name: account === 'APP' ? this.pick(SERVICES) : this.pick(['sox-report', 'audit-dump', 'nats-cli']),
          host: this.host(),
          id: ++this.clientId,
          startMs: now,
        };
        if (this.random() < 0.01) s.name = 'branch-leaf';
        const e = clone(TEMPLATES.connect.data) as Json;
        e.id = this.eventId();
        e.timestamp = instant(now, sub);
        e.server.time = instant(now, sub);
        e.server.seq = this.idCounter;
        Object.assign(e.client, {
          start: instant(now, sub),
          host: s.host,
          id: s.id,
          acc: s.account,
          user: s.user,
          name: s.name,
        });
        if (s.name === 'branch-leaf') e.client.kind = 'Leafnode';
        this.open.push(s);
        if (this.open.length > 2000) this.open.shift();
        out.push(this.message('SYS_EVENTS', `$SYS.ACCOUNT.${account}.CONNECT`, e));
        return;
      }
      case 'auth': {
        const e = clone(TEMPLATES.authError.data) as Json;
        e.id = this.eventId();
        e.timestamp = instant(now, sub);
        e.server.time = instant(now, sub);
        Object.assign(e.client, {
          start: instant(now - 2, sub),
          stop: instant(now, sub),
          host: this.host(),
          id: ++this.clientId,
          user: this.pick(BAD_USERS),
          name: this.pick(['bad-login', '', 'nats-cli', 'payments-svc']),
        });
        out.push(this.message('SYS_EVENTS', `$SYS.SERVER.${SERVER_ID}.CLIENT.AUTH.ERR`, e));
        return;
      }
      case 'read': {
        const audit = this.random() < 0.15;
        const info = this.random() < 0.35;
        const template = audit
          ? info
            ? TEMPLATES.auditApiInfo
            : TEMPLATES.auditApiStreamInfo
          : info
            ? TEMPLATES.apiInfo
            : TEMPLATES.apiStreamInfo;
        const e = clone(template.data) as Json;
        e.id = this.eventId();
        e.timestamp = instant(now, sub);
        this.client(e, audit);
        if (!info) {
          const stream = audit
            ? this.pick(['SYS_EVENTS', 'APP_JS_ADVISORIES', 'AUDIT_JS_ADVISORIES'])
            : this.pick(APP_STREAMS);
          const was = (e.subject as string).slice('$JS.API.STREAM.INFO.'.length);
          e.subject = `$JS.API.STREAM.INFO.${stream}`;
          e.response = (e.response as string).split(`"${was}"`).join(JSON.stringify(stream));
        }
        out.push(this.message(audit ? 'AUDIT_JS_ADVISORIES' : 'APP_JS_ADVISORIES', template.subject, e));
        return;
      }
      case 'change': {
        const change = this.weighted(CHANGES, (c) => c.weight);
        const audit = change.audit === 'auditApiMsgDeleteRefused';
        const target: Target = audit ? 'AUDIT_JS_ADVISORIES' : 'APP_JS_ADVISORIES';
        const stream = audit
          ? 'SYS_EVENTS'
          : change.audit === 'apiMsgDelete' || change.audit === 'apiPurge'
            ? this.pick(APP_STREAMS)
            : `TEMP_${Math.floor(this.random() * 50)}`;
        const consumer = `C${++this.consumerSerial % 500}`;
        const e = clone(TEMPLATES[change.audit].data) as Json;
        e.id = this.eventId();
        e.timestamp = instant(now, sub);
        this.client(e, audit, true);
        const rename = (text: string) =>
          text.split('"TEMP"').join(JSON.stringify(stream)).split('"C1"').join(JSON.stringify(consumer));
        e.subject = (e.subject as string).replace(
          /\.TEMP(\.C1)?$|\.TRANSACTIONS$/,
          (_m, c?: string) => `.${stream}${c ? `.${consumer}` : ''}`,
        );
        if (typeof e.request === 'string') e.request = rename(e.request);
        if (typeof e.response === 'string') e.response = rename(e.response);
        if (change.audit === 'apiMsgDelete') e.request = JSON.stringify({ seq: 1 + Math.floor(this.random() * 1e6) });
        if (change.advisory) {
          // The server stores the action advisory just before the audit record of the same call.
          const a = clone(TEMPLATES[change.advisory].data) as Json;
          a.id = this.eventId();
          a.timestamp = instant(now, sub);
          a.stream = stream;
          if ('consumer' in a) a.consumer = consumer;
          const kindTokens = TEMPLATES[change.advisory].subject.split('.').slice(0, 6).join('.');
          out.push(this.message(target, `${kindTokens}.${stream}${'consumer' in a ? `.${consumer}` : ''}`, a));
        }
        out.push(
          this.message(target, audit ? TEMPLATES.auditApiMsgDeleteRefused.subject : TEMPLATES.apiInfo.subject, e),
        );
        return;
      }
      case 'tx': {
        const [subject] = this.weighted(TX_SUBJECTS, ([, w]) => w);
        const id = ++this.txId;
        const body = {
          id: `tx-${String(id).padStart(9, '0')}`,
          account: `ACC-${String(Math.floor(this.random() * 50_000)).padStart(6, '0')}`,
          amount: Math.round(this.random() * 1e6) / 100,
          currency: this.pick(CURRENCIES),
          merchant: `M${Math.floor(this.random() * 2000)}`,
          created: instant(now, sub),
          ref: this.eventId(),
        };
        out.push(this.message('TRANSACTIONS', subject, body));
        return;
      }
    }
  }

  /** Fills in who made a JetStream API call. */
  private client(e: Json, audit: boolean, operator = false): void {
    Object.assign(e.client, {
      start: instant(Date.now() - Math.floor(this.random() * 3_600_000), 0),
      host: this.host(),
      id: ++this.clientId,
      acc: audit ? 'AUDIT' : 'APP',
      user: audit ? 'audit' : this.pick(USERS),
      name: audit
        ? this.pick(['audit-dump', 'nats-cli', 'tamper-test'])
        : operator
          ? this.pick(OPERATORS)
          : this.pick(SERVICES),
    });
  }
}
