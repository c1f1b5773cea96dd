import { describe, expect, it } from 'vitest';
import { optionName } from '../../functions/cli/exit.js';
import { InputError, wordInput, type InputIssue } from '../../functions/errors.js';
import { payloadKeyName } from '../../functions/handlers/on-demand-payload.js';

const ISSUES: [InputIssue, string, string][] = [
  [
    { field: 'date', problem: '"2026-02-30" is not a calendar date' },
    '--date: "2026-02-30" is not a calendar date',
    '"date": "2026-02-30" is not a calendar date',
  ],
  [{ field: 'to', needs: 'from' }, '--to needs --from', '"to" needs "from"'],
  [
    { field: 'date', notWith: ['from', 'to'] },
    'use either --date or --from/--to, not both',
    'use either "date" or "from"/"to", not both',
  ],
  [
    { field: 'from', value: '2026-02-03', isAfter: { field: 'to', value: '2026-02-01' } },
    '--from 2026-02-03 is after --to 2026-02-01',
    '"from" 2026-02-03 is after "to" 2026-02-01',
  ],
];

describe('InputError', () => {
  it('carries the input it is about as data, and each shell words it', () => {
    for (const [issue, cli, payload] of ISSUES) {
      const err = new InputError(issue);
      expect(err.issue).toEqual(issue);
      expect(err.worded(optionName)).toBe(cli);
      expect(err.worded(payloadKeyName)).toBe(payload);
      expect(wordInput(issue, optionName)).toBe(cli);
    }
  });

  it('names the input plainly until a shell words it', () => {
    expect(new InputError({ field: 'date', problem: 'is wrong' }).message).toBe('date: is wrong');
    expect(new InputError({ field: 'to', needs: 'from' }).message).toBe('to needs from');
  });

  it('keeps a message about no named input as it is, in every shell', () => {
    const err = new InputError('period: it is longer than the maximum of 31 days');
    expect(err.issue).toBeNull();
    expect(err.worded(optionName)).toBe(err.message);
    expect(err.worded(payloadKeyName)).toBe(err.message);
  });
});
