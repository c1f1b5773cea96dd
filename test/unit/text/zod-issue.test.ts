import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { firstIssueText, issueText } from '../../../functions/text/zod-issue.js';

const schema = z.strictObject({
  sources: z.array(z.strictObject({ name: z.string().min(1, 'must not be empty'), password: z.string().optional() })),
});

function issues(value: unknown): string[] {
  const parsed = schema.safeParse(value);
  if (parsed.success) throw new Error('expected a failure');
  return parsed.error.issues.map((issue) => issueText(issue));
}

describe('issueText', () => {
  it('says where, then what', () => {
    expect(issues({ sources: [{ name: '' }] })).toEqual(['sources[0].name: must not be empty']);
  });

  it('names unknown keys, one or several, and the object they are in', () => {
    expect(issues({ sources: [], extra: 1 })).toEqual(['(top level): unknown key "extra"']);
    expect(issues({ sources: [{ name: 'a', foo: 1, bar: 2 }] })).toEqual(['sources[0]: unknown keys "foo", "bar"']);
  });

  it('never echoes the value it refused', () => {
    const text = issues({ sources: [{ name: 's3cret-value', password: 42 }] }).join('\n');
    expect(text).toContain('sources[0].password: ');
    expect(text).not.toContain('s3cret');
  });

  it('leaves the key out of an issue of the whole document when told to', () => {
    const parsed = schema.safeParse({ sources: [], period: 'x' });
    expect(parsed.success).toBe(false);
    expect(issueText(parsed.error!.issues[0]!, '')).toBe('unknown key "period"');
    expect(firstIssueText(parsed.error!)).toBe('(top level): unknown key "period"');
  });
});
