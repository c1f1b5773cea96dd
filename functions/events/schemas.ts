import { z } from 'zod';

/**
 * The shapes nats-server publishes (2.9 and 2.10), holding only the fields the report reads; anything else
 * in a payload is ignored. Types are the server's own `type` strings.
 */
export const TYPES = {
  connect: 'io.nats.server.advisory.v1.client_connect',
  disconnect: 'io.nats.server.advisory.v1.client_disconnect',
  leafnodeConnect: 'io.nats.server.advisory.v1.leafnode_connect',
  apiAudit: 'io.nats.jetstream.advisory.v1.api_audit',
  streamAction: 'io.nats.jetstream.advisory.v1.stream_action',
  consumerAction: 'io.nats.jetstream.advisory.v1.consumer_action',
} as const;

const text = z.string().max(65_536);

export const clientInfoSchema = z.looseObject({
  acc: text,
  user: text.optional(),
  /** Operator (JWT) mode: the user JWT's name; `user` is then the user's public key. */
  name_tag: text.optional(),
  /** Operator mode: the user JWT the client connected with (its permissions, issuer and expiry). */
  jwt: text.optional(),
  name: text.optional(),
  host: text.optional(),
  kind: text.optional(),
  start: text.optional(),
  stop: text.optional(),
});

export const connectSchema = z.looseObject({
  type: z.literal(TYPES.connect),
  client: clientInfoSchema,
});

export const disconnectSchema = z.looseObject({
  type: z.literal(TYPES.disconnect),
  client: clientInfoSchema,
  reason: text.optional(),
});

/** Sent only where gateways are configured, and without a `type` on some versions. */
export const leafnodeConnectSchema = z.looseObject({
  type: z.literal(TYPES.leafnodeConnect).optional(),
  account: text.optional(),
  server: z.looseObject({ name: text.optional(), host: text.optional() }).optional(),
});

/** 2.9 names only the account; from 2.10.10 the user, host and client name as well. */
export const apiAuditSchema = z.looseObject({
  type: z.literal(TYPES.apiAudit),
  client: z.looseObject({
    acc: text.optional(),
    user: text.optional(),
    name_tag: text.optional(),
    name: text.optional(),
    host: text.optional(),
  }),
  subject: z.string().startsWith('$JS.API.').max(65_536),
  request: z.string().optional(),
  response: z.string().optional(),
});

export const streamActionSchema = z.looseObject({
  type: z.literal(TYPES.streamAction),
  stream: text,
  action: z.enum(['create', 'modify', 'delete']),
});

export const consumerActionSchema = z.looseObject({
  type: z.literal(TYPES.consumerAction),
  stream: text,
  consumer: text,
  action: z.enum(['create', 'delete']),
});

export const apiResponseSchema = z.looseObject({
  error: z
    .looseObject({ err_code: z.number().optional(), description: text.optional(), code: z.number().optional() })
    .optional(),
  purged: z.number().optional(),
});
