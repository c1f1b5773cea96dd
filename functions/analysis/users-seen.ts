import type { UserSeen } from '../access/derive.js';
import { formatInstant } from '../time/nanos.js';
import type { AggregateState } from './aggregate-state.js';

/** The users the period's connect and disconnect events named (leaf nodes apart), each with its latest JWT. */
export function usersSeen(state: AggregateState): UserSeen[] {
  return [...state.users.values()]
    .flatMap((u): UserSeen[] =>
      u.user === null
        ? []
        : [
            {
              account: u.account,
              user: u.user,
              ...(u.userName !== undefined ? { userName: u.userName } : {}),
              ...(u.jwt ? { jwt: { token: u.jwt.token, seenAt: formatInstant(u.jwt.ts) } } : {}),
            },
          ],
    )
    .sort((a, b) => cmp(a.account, b.account) || cmp(a.user, b.user));
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
