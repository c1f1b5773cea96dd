import type { z } from 'zod';

type ZodIssue = z.ZodError['issues'][number];

/** A zod path as the key a person would look for: sources[0].nats.servers[1]. */
export function keyPath(path: readonly PropertyKey[]): string {
  return (
    path.map((p, i) => (typeof p === 'number' ? `[${p}]` : `${i === 0 ? '' : '.'}${String(p)}`)).join('') ||
    '(top level)'
  );
}

/**
 * One zod issue as a person reads it: the key, then what is wrong. Never the received value: it may be a password
 * or a token. `top` names the document itself; '' leaves the key out for an issue of the whole document.
 */
export function issueText(issue: ZodIssue, top = '(top level)'): string {
  const problem =
    issue.code === 'unrecognized_keys'
      ? `unknown key${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => `"${k}"`).join(', ')}`
      : issue.message;
  const key = issue.path.length === 0 ? top : keyPath(issue.path);
  return key ? `${key}: ${problem}` : problem;
}

/** The first issue of a failed parse: where a document is refused as a whole, one reason is enough. */
export function firstIssueText(error: z.ZodError, top?: string): string {
  return issueText(error.issues[0]!, top);
}
