/**
 * Real payloads nats-server 2.10.27 stored in the capture streams (../shared/nats-events/2.10.27, hub.conf layout),
 * copied as templates: the benchmark varies ids, names, hosts and times and publishes them on the subjects they
 * were captured on. The key is what each one is; `subject` is where it was stored.
 */
export const TEMPLATES = {
  connect: {
    subject: '$SYS.ACCOUNT.APP.CONNECT',
    data: {
      type: 'io.nats.server.advisory.v1.client_connect',
      id: 'OqhVHwaInWp7Nylz0YyBKN',
      timestamp: '2026-11-27T02:32:44.620770684Z',
      server: {
        name: 'hub1',
        host: '127.0.0.1',
        id: 'NDVHYJHVEGBLII6BOSHGJD3PXQVBPGHD53MCXGLDCZ6YFYUJ2L25E4PR',
        ver: '2.10.27',
        jetstream: true,
        flags: 3,
        seq: 50,
        time: '2026-11-27T02:32:44.620923234Z',
      },
      client: {
        start: '2026-11-27T02:32:44.616241684Z',
        host: '127.0.0.1',
        id: 21,
        acc: 'APP',
        user: 'app',
        name: 'payments-svc',
        lang: 'nats.js',
        ver: '2.29.3',
        kind: 'Client',
        client_type: 'nats',
      },
    },
  },
  disconnect: {
    subject: '$SYS.ACCOUNT.APP.DISCONNECT',
    data: {
      type: 'io.nats.server.advisory.v1.client_disconnect',
      id: 'OqhVHwaInWp7Nylz0YyBPV',
      timestamp: '2026-11-27T02:32:44.630876304Z',
      server: {
        name: 'hub1',
        host: '127.0.0.1',
        id: 'NDVHYJHVEGBLII6BOSHGJD3PXQVBPGHD53MCXGLDCZ6YFYUJ2L25E4PR',
        ver: '2.10.27',
        jetstream: true,
        flags: 3,
        seq: 53,
        time: '2026-11-27T02:32:44.630900129Z',
      },
      client: {
        start: '2026-11-27T02:32:44.616241684Z',
        host: '127.0.0.1',
        id: 21,
        acc: 'APP',
        user: 'app',
        name: 'payments-svc',
        lang: 'nats.js',
        ver: '2.29.3',
        rtt: 4359868,
        stop: '2026-11-27T02:32:44.630876304Z',
        kind: 'Client',
        client_type: 'nats',
      },
      sent: { msgs: 6, bytes: 106 },
      received: { msgs: 6, bytes: 204 },
      reason: 'Client Closed',
    },
  },
  authError: {
    subject: '$SYS.SERVER.NDVHYJHVEGBLII6BOSHGJD3PXQVBPGHD53MCXGLDCZ6YFYUJ2L25E4PR.CLIENT.AUTH.ERR',
    data: {
      type: 'io.nats.server.advisory.v1.client_disconnect',
      id: 'OqhVHwaInWp7Nylz0YyBUd',
      timestamp: '2026-11-27T02:32:44.633568642Z',
      server: {
        name: 'hub1',
        host: '127.0.0.1',
        id: 'NDVHYJHVEGBLII6BOSHGJD3PXQVBPGHD53MCXGLDCZ6YFYUJ2L25E4PR',
        ver: '2.10.27',
        jetstream: true,
        flags: 3,
        seq: 55,
        time: '2026-11-27T02:32:44.633943345Z',
      },
      client: {
        start: '2026-11-27T02:32:44.632164403Z',
        host: '127.0.0.1',
        id: 22,
        acc: '$G',
        user: 'app',
        name: 'bad-login',
        lang: 'nats.js',
        ver: '2.29.3',
        rtt: 1275976,
        stop: '2026-11-27T02:32:44.633568642Z',
        kind: 'Client',
        client_type: 'nats',
      },
      sent: { msgs: 0, bytes: 0 },
      received: { msgs: 0, bytes: 0 },
      reason: 'Authentication Failure',
    },
  },
  apiInfo: {
    subject: 'APP.$JS.EVENT.ADVISORY.API',
    data: {
      type: 'io.nats.jetstream.advisory.v1.api_audit',
      id: '0hwPnpYsrd3eMQPxSiqNLU',
      timestamp: '2026-11-27T02:32:44.426277622Z',
      server: 'hub1',
      client: {
        start: '2026-11-27T02:32:44.423640398Z',
        host: '127.0.0.1',
        id: 17,
        acc: 'APP',
        user: 'app',
        name: 'setup-app',
        lang: 'nats.js',
        ver: '2.29.3',
        rtt: 1528486,
        server: 'hub1',
        kind: 'Client',
        client_type: 'nats',
      },
      subject: '$JS.API.INFO',
      response:
        '{"type":"io.nats.jetstream.api.v1.account_info_response","memory":0,"storage":0,"reserved_memory":0,' +
        '"reserved_storage":0,"streams":0,"consumers":0,"limits":{"max_memory":-1,"max_storage":-1,' +
        '"max_streams":-1,"max_consumers":-1,"max_ack_pending":-1,"memory_max_stream_bytes":-1,' +
        '"storage_max_stream_bytes":-1,"max_bytes_required":false},"api":{"total":0,"errors":0}}',
    },
  },
  apiStreamInfo: {
    subject: 'APP.$JS.EVENT.ADVISORY.API',
    data: {
      type: 'io.nats.jetstream.advisory.v1.api_audit',
      id: '0hwPnpYsrd3eMQPxSiqNci',
      timestamp: '2026-11-27T02:32:44.645894854Z',
      server: 'hub1',
      client: {
        start: '2026-11-27T02:32:44.638553358Z',
        host: '127.0.0.1',
        id: 24,
        acc: 'APP',
        user: 'app',
        name: 'ops-admin',
        lang: 'nats.js',
        ver: '2.29.3',
        rtt: 926872,
        server: 'hub1',
        kind: 'Client',
        client_type: 'nats',
      },
      subject: '$JS.API.STREAM.INFO.TEMP',
      response:
        '{"type":"io.nats.jetstream.api.v1.stream_info_response","total":0,"offset":0,"limit":0,' +
        '"config":{"name":"TEMP","subjects":["temp.\\u003e"],"retention":"limits","max_consumers":-1,' +
        '"max_msgs":-1,"max_bytes":-1,"max_age":0,"max_msgs_per_subject":-1,"max_msg_size":-1,' +
        '"discard":"old","storage":"file","num_replicas":1,"duplicate_window":120000000000,' +
        '"compression":"none","allow_direct":false,"mirror_direct":false,"sealed":false,"deny_delete":false,' +
        '"deny_purge":false,"allow_rollup_hdrs":false,"consumer_limits":{}},' +
        '"created":"2026-11-27T02:32:44.642770064Z","state":{"messages":0,"bytes":0,"first_seq":0,' +
        '"first_ts":"0001-01-01T00:00:00Z","last_seq":0,"last_ts":"0001-01-01T00:00:00Z","consumer_count":0},' +
        '"cluster":{"leader":"hub1"},"ts":"2026-11-27T02:32:44.645618628Z"}',
    },
  },
  streamCreated: {
    subject: 'APP.$JS.EVENT.ADVISORY.STREAM.CREATED.TEMP',
    data: {
      type: 'io.nats.jetstream.advisory.v1.stream_action',
      id: '0hwPnpYsrd3eMQPxSiqNWy',
      timestamp: '2026-11-27T02:32:44.643817465Z',
      stream: 'TEMP',
      action: 'create',
    },
  },
  apiStreamCreate: {
    subject: 'APP.$JS.EVENT.ADVISORY.API',
    data: {
      type: 'io.nats.jetstream.advisory.v1.api_audit',
      id: '0hwPnpYsrd3eMQPxSiqNZq',
      timestamp: '2026-11-27T02:32:44.643987238Z',
      server: 'hub1',
      client: {
        start: '2026-11-27T02:32:44.638553358Z',
        host: '127.0.0.1',
        id: 24,
        acc: 'APP',
        user: 'app',
        name: 'ops-admin',
        lang: 'nats.js',
        ver: '2.29.3',
        rtt: 926872,
        server: 'hub1',
        kind: 'Client',
        client_type: 'nats',
      },
      subject: '$JS.API.STREAM.CREATE.TEMP',
      request: '{"name":"TEMP","subjects":["temp.>"]}',
      response:
        '{"type":"io.nats.jetstream.api.v1.stream_create_response","config":{"name":"TEMP",' +
        '"subjects":["temp.\\u003e"],"retention":"limits","max_consumers":-1,"max_msgs":-1,"max_bytes":-1,' +
        '"max_age":0,"max_msgs_per_subject":-1,"max_msg_size":-1,"discard":"old","storage":"file",' +
        '"num_replicas":1,"duplicate_window":120000000000,"compression":"none","allow_direct":false,' +
        '"mirror_direct":false,"sealed":false,"deny_delete":false,"deny_purge":false,' +
        '"allow_rollup_hdrs":false,"consumer_limits":{}},"created":"2026-11-27T02:32:44.642770064Z",' +
        '"state":{"messages":0,"bytes":0,"first_seq":0,"first_ts":"0001-01-01T00:00:00Z","last_seq":0,' +
        '"last_ts":"0001-01-01T00:00:00Z","consumer_count":0},"ts":"2026-11-27T02:32:44.64383059Z",' +
        '"did_create":true}',
    },
  },
  streamUpdated: {
    subject: 'APP.$JS.EVENT.ADVISORY.STREAM.UPDATED.TEMP',
    data: {
      type: 'io.nats.jetstream.advisory.v1.stream_action',
      id: '0hwPnpYsrd3eMQPxSiqNfa',
      timestamp: '2026-11-27T02:32:44.646989134Z',
      stream: 'TEMP',
      action: 'modify',
    },
  },
  apiStreamUpdate: {
    subject: 'APP.$JS.EVENT.ADVISORY.API',
    data: {
      type: 'io.nats.jetstream.advisory.v1.api_audit',
      id: '0hwPnpYsrd3eMQPxSiqNiS',
      timestamp: '2026-11-27T02:32:44.647878845Z',
      server: 'hub1',
      client: {
        start: '2026-11-27T02:32:44.638553358Z',
        host: '127.0.0.1',
        id: 24,
        acc: 'APP',
        user: 'app',
        name: 'ops-admin',
        lang: 'nats.js',
        ver: '2.29.3',
        rtt: 926872,
        server: 'hub1',
        kind: 'Client',
        client_type: 'nats',
      },
      subject: '$JS.API.STREAM.UPDATE.TEMP',
      request:
        '{"name":"TEMP","subjects":["temp.>","temp2.>"],"retention":"limits","max_consumers":-1,' +
        '"max_msgs":-1,"max_bytes":-1,"max_age":0,"max_msgs_per_subject":-1,"max_msg_size":-1,' +
        '"discard":"old","storage":"file","num_replicas":1,"duplicate_window":120000000000,' +
        '"compression":"none","allow_direct":false,"mirror_direct":false,"sealed":false,"deny_delete":false,' +
        '"deny_purge":false,"allow_rollup_hdrs":false,"consumer_limits":{}}',
      response:
        '{"type":"io.nats.jetstream.api.v1.stream_update_response","config":{"name":"TEMP",' +
        '"subjects":["temp.\\u003e","temp2.\\u003e"],"retention":"limits","max_consumers":-1,"max_msgs":-1,' +
        '"max_bytes":-1,"max_age":0,"max_msgs_per_subject":-1,"max_msg_size":-1,"discard":"old",' +
        '"storage":"file","num_replicas":1,"duplicate_window":120000000000,"compression":"none",' +
        '"allow_direct":false,"mirror_direct":false,"sealed":false,"deny_delete":false,"deny_purge":false,' +
        '"allow_rollup_hdrs":false,"consumer_limits":{}},"created":"2026-11-27T02:32:44.642770064Z",' +
        '"state":{"messages":0,"bytes":0,"first_seq":0,"first_ts":"0001-01-01T00:00:00Z","last_seq":0,' +
        '"last_ts":"0001-01-01T00:00:00Z","consumer_count":0},"ts":"2026-11-27T02:32:44.647540642Z"}',
    },
  },
  consumerCreated: {
    subject: 'APP.$JS.EVENT.ADVISORY.CONSUMER.CREATED.TEMP.C1',
    data: {
      type: 'io.nats.jetstream.advisory.v1.consumer_action',
      id: '0hwPnpYsrd3eMQPxSiqNlK',
      timestamp: '2026-11-27T02:32:44.650278056Z',
      stream: 'TEMP',
      consumer: 'C1',
      action: 'create',
    },
  },
  apiConsumerCreate: {
    subject: 'APP.$JS.EVENT.ADVISORY.API',
    data: {
      type: 'io.nats.jetstream.advisory.v1.api_audit',
      id: '0hwPnpYsrd3eMQPxSiqNoC',
      timestamp: '2026-11-27T02:32:44.650404457Z',
      server: 'hub1',
      client: {
        start: '2026-11-27T02:32:44.638553358Z',
        host: '127.0.0.1',
        id: 24,
        acc: 'APP',
        user: 'app',
        name: 'ops-admin',
        lang: 'nats.js',
        ver: '2.29.3',
        rtt: 926872,
        server: 'hub1',
        kind: 'Client',
        client_type: 'nats',
      },
      subject: '$JS.API.CONSUMER.CREATE.TEMP.C1',
      request: '{"config":{"durable_name":"C1","ack_policy":"explicit"},"stream_name":"TEMP","action":"create"}',
      response:
        '{"type":"io.nats.jetstream.api.v1.consumer_create_response","stream_name":"TEMP","name":"C1",' +
        '"created":"2026-11-27T02:32:44.64946964Z","config":{"durable_name":"C1","name":"C1",' +
        '"deliver_policy":"all","ack_policy":"explicit","ack_wait":30000000000,"max_deliver":-1,' +
        '"replay_policy":"instant","max_waiting":512,"max_ack_pending":1000,"num_replicas":0},' +
        '"delivered":{"consumer_seq":0,"stream_seq":0},"ack_floor":{"consumer_seq":0,"stream_seq":0},' +
        '"num_ack_pending":0,"num_redelivered":0,"num_waiting":0,"num_pending":0,' +
        '"ts":"2026-11-27T02:32:44.650268508Z"}',
    },
  },
  consumerDeleted: {
    subject: 'APP.$JS.EVENT.ADVISORY.CONSUMER.DELETED.TEMP.C1',
    data: {
      type: 'io.nats.jetstream.advisory.v1.consumer_action',
      id: '0hwPnpYsrd3eMQPxSiqNr4',
      timestamp: '2026-11-27T02:32:44.651518053Z',
      stream: 'TEMP',
      consumer: 'C1',
      action: 'delete',
    },
  },
  apiConsumerDelete: {
    subject: 'APP.$JS.EVENT.ADVISORY.API',
    data: {
      type: 'io.nats.jetstream.advisory.v1.api_audit',
      id: '0hwPnpYsrd3eMQPxSiqNtw',
      timestamp: '2026-11-27T02:32:44.653065876Z',
      server: 'hub1',
      client: {
        start: '2026-11-27T02:32:44.638553358Z',
        host: '127.0.0.1',
        id: 24,
        acc: 'APP',
        user: 'app',
        name: 'ops-admin',
        lang: 'nats.js',
        ver: '2.29.3',
        rtt: 926872,
        server: 'hub1',
        kind: 'Client',
        client_type: 'nats',
      },
      subject: '$JS.API.CONSUMER.DELETE.TEMP.C1',
      response: '{"type":"io.nats.jetstream.api.v1.consumer_delete_response","success":true}',
    },
  },
  streamDeleted: {
    subject: 'APP.$JS.EVENT.ADVISORY.STREAM.DELETED.TEMP',
    data: {
      type: 'io.nats.jetstream.advisory.v1.stream_action',
      id: '0hwPnpYsrd3eMQPxSiqNwo',
      timestamp: '2026-11-27T02:32:44.653843443Z',
      stream: 'TEMP',
      action: 'delete',
    },
  },
  apiStreamDelete: {
    subject: 'APP.$JS.EVENT.ADVISORY.API',
    data: {
      type: 'io.nats.jetstream.advisory.v1.api_audit',
      id: '0hwPnpYsrd3eMQPxSiqNzg',
      timestamp: '2026-11-27T02:32:44.654603879Z',
      server: 'hub1',
      client: {
        start: '2026-11-27T02:32:44.638553358Z',
        host: '127.0.0.1',
        id: 24,
        acc: 'APP',
        user: 'app',
        name: 'ops-admin',
        lang: 'nats.js',
        ver: '2.29.3',
        rtt: 926872,
        server: 'hub1',
        kind: 'Client',
        client_type: 'nats',
      },
      subject: '$JS.API.STREAM.DELETE.TEMP',
      response: '{"type":"io.nats.jetstream.api.v1.stream_delete_response","success":true}',
    },
  },
  apiMsgDelete: {
    subject: 'APP.$JS.EVENT.ADVISORY.API',
    data: {
      type: 'io.nats.jetstream.advisory.v1.api_audit',
      id: '0hwPnpYsrd3eMQPxSiqO2Y',
      timestamp: '2026-11-27T02:32:44.674008066Z',
      server: 'hub1',
      client: {
        start: '2026-11-27T02:32:44.638553358Z',
        host: '127.0.0.1',
        id: 24,
        acc: 'APP',
        user: 'app',
        name: 'ops-admin',
        lang: 'nats.js',
        ver: '2.29.3',
        rtt: 926872,
        server: 'hub1',
        kind: 'Client',
        client_type: 'nats',
      },
      subject: '$JS.API.STREAM.MSG.DELETE.TRANSACTIONS',
      request: '{"seq":2}',
      response: '{"type":"io.nats.jetstream.api.v1.stream_msg_delete_response","success":true}',
    },
  },
  apiPurge: {
    subject: 'APP.$JS.EVENT.ADVISORY.API',
    data: {
      type: 'io.nats.jetstream.advisory.v1.api_audit',
      id: '0hwPnpYsrd3eMQPxSiqO5Q',
      timestamp: '2026-11-27T02:32:44.67619347Z',
      server: 'hub1',
      client: {
        start: '2026-11-27T02:32:44.638553358Z',
        host: '127.0.0.1',
        id: 24,
        acc: 'APP',
        user: 'app',
        name: 'ops-admin',
        lang: 'nats.js',
        ver: '2.29.3',
        rtt: 926872,
        server: 'hub1',
        kind: 'Client',
        client_type: 'nats',
      },
      subject: '$JS.API.STREAM.PURGE.TRANSACTIONS',
      request: '{"filter":"tx.purgeme"}',
      response: '{"type":"io.nats.jetstream.api.v1.stream_purge_response","success":true,"purged":1}',
    },
  },
  auditApiInfo: {
    subject: '$JS.EVENT.ADVISORY.API',
    data: {
      type: 'io.nats.jetstream.advisory.v1.api_audit',
      id: '0hwPnpYsrd3eMQPxSiqO8I',
      timestamp: '2026-11-27T02:32:44.680601099Z',
      server: 'hub1',
      client: {
        start: '2026-11-27T02:32:44.67815036Z',
        host: '127.0.0.1',
        id: 30,
        acc: 'AUDIT',
        user: 'audit',
        name: 'tamper-test',
        lang: 'nats.js',
        ver: '2.29.3',
        rtt: 1194431,
        server: 'hub1',
        kind: 'Client',
        client_type: 'nats',
      },
      subject: '$JS.API.INFO',
      response:
        '{"type":"io.nats.jetstream.api.v1.account_info_response","memory":0,"storage":21123,' +
        '"reserved_memory":0,"reserved_storage":18446744073709551613,"streams":3,"consumers":0,' +
        '"limits":{"max_memory":-1,"max_storage":-1,"max_streams":-1,"max_consumers":-1,"max_ack_pending":-1,' +
        '"memory_max_stream_bytes":-1,"storage_max_stream_bytes":-1,"max_bytes_required":false},' +
        '"api":{"total":4,"errors":0}}',
    },
  },
  auditApiStreamInfo: {
    subject: '$JS.EVENT.ADVISORY.API',
    data: {
      type: 'io.nats.jetstream.advisory.v1.api_audit',
      id: '0hwPnpYsrd3eMQPxSiqOMe',
      timestamp: '2026-11-27T02:32:50.035482874Z',
      server: 'hub1',
      client: {
        start: '2026-11-27T02:32:50.018890862Z',
        host: '127.0.0.1',
        id: 32,
        acc: 'AUDIT',
        user: 'audit',
        name: 'dump',
        lang: 'nats.js',
        ver: '2.29.3',
        rtt: 6128960,
        server: 'hub1',
        kind: 'Client',
        client_type: 'nats',
      },
      subject: '$JS.API.STREAM.INFO.SYS_EVENTS',
      response:
        '{"type":"io.nats.jetstream.api.v1.stream_info_response","total":0,"offset":0,"limit":0,' +
        '"config":{"name":"SYS_EVENTS","subjects":["$SYS.ACCOUNT.*.CONNECT","$SYS.ACCOUNT.*.DISCONNECT",' +
        '"$SYS.SERVER.*.CLIENT.AUTH.ERR","$SYS.ACCOUNT.*.LEAFNODE.CONNECT"],"retention":"limits",' +
        '"max_consumers":-1,"max_msgs":-1,"max_bytes":-1,"max_age":34560000000000000,' +
        '"max_msgs_per_subject":-1,"max_msg_size":-1,"discard":"old","storage":"file","num_replicas":1,' +
        '"no_ack":true,"duplicate_window":120000000000,"compression":"none","allow_direct":false,' +
        '"mirror_direct":false,"sealed":false,"deny_delete":true,"deny_purge":true,"allow_rollup_hdrs":false,' +
        '"consumer_limits":{}},"created":"2026-11-27T02:32:44.412357761Z","state":{"messages":14,' +
        '"bytes":9279,"first_seq":1,"first_ts":"2026-11-27T02:32:44.422612735Z","last_seq":14,' +
        '"last_ts":"2026-11-27T02:32:50.025604054Z","num_subjects":5,"consumer_count":0},' +
        '"cluster":{"leader":"hub1"},"ts":"2026-11-27T02:32:50.035397902Z"}',
    },
  },
  auditApiMsgDeleteRefused: {
    subject: '$JS.EVENT.ADVISORY.API',
    data: {
      type: 'io.nats.jetstream.advisory.v1.api_audit',
      id: '0hwPnpYsrd3eMQPxSiqOBA',
      timestamp: '2026-11-27T02:32:44.68174887Z',
      server: 'hub1',
      client: {
        start: '2026-11-27T02:32:44.67815036Z',
        host: '127.0.0.1',
        id: 30,
        acc: 'AUDIT',
        user: 'audit',
        name: 'tamper-test',
        lang: 'nats.js',
        ver: '2.29.3',
        rtt: 1194431,
        server: 'hub1',
        kind: 'Client',
        client_type: 'nats',
      },
      subject: '$JS.API.STREAM.MSG.DELETE.SYS_EVENTS',
      request: '{"seq":1}',
      response:
        '{"type":"io.nats.jetstream.api.v1.stream_msg_delete_response","error":{"code":500,"err_code":10057,' +
        '"description":"message delete not permitted"}}',
    },
  },
} as const;

export type TemplateName = keyof typeof TEMPLATES;
