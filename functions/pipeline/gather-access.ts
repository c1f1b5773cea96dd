import type { RecordedAccess } from '../access/model.js';
import type { Config } from '../config/schema.js';
import { collectAccess } from '../source/access-answers.js';
import { connectWithin } from '../source/nats-steps.js';
import type { Ports } from './contracts.js';

/**
 * The servers' answers about access and configuration, asked by the first source's user (the reporting user, whose
 * own permissions are part of the evidence) right after the replay.
 */
export async function gatherAccess(
  config: Config,
  ports: Pick<Ports, 'connect' | 'deadline' | 'now'>,
): Promise<RecordedAccess> {
  const source = config.sources[0]!;
  const nc = await connectWithin(source, (s) => ports.connect(s), { deadline: ports.deadline });
  try {
    return await collectAccess(nc, source.name, ports.now);
  } finally {
    await nc.close().catch(() => undefined);
  }
}
