import { describe, expect, it } from 'vitest';
import { incidentStreamSpec, planIncidentStream } from '../../../functions/incidents/stream.js';

describe('incident stream settings', () => {
  const spec = incidentStreamSpec({ duplicateWindowMs: 1000 });

  it('is append-only, file-backed and never expires', () => {
    expect(spec).toMatchObject({
      name: 'INCIDENTS',
      subjects: ['sox.incidents.>'],
      storage: 'file',
      discard: 'old',
      deny_delete: true,
      deny_purge: true,
      allow_rollup_hdrs: false,
      max_age: 0,
      duplicate_window: 1e9,
    });
    expect(incidentStreamSpec().duplicate_window).toBe(120e9);
  });

  it('refuses names that are not a stream name or a subject prefix', () => {
    expect(() => incidentStreamSpec({ stream: 'A.B' })).toThrow(/stream name/);
    expect(() => incidentStreamSpec({ subjectPrefix: 'sox.>' })).toThrow(/prefix/);
  });

  it('judges an existing stream, including an age limit', () => {
    const good = {
      subjects: ['sox.incidents.>'],
      storage: 'file',
      retention: 'limits',
      discard: 'old',
      deny_delete: true,
      deny_purge: true,
      allow_rollup_hdrs: false,
      max_age: 0,
    };
    expect(planIncidentStream(spec, null).action).toBe('create');
    expect(planIncidentStream(spec, good).action).toBe('ok');
    const weak = planIncidentStream(spec, { ...good, deny_purge: false, max_age: 30 * 86_400e9 });
    expect(weak.action).toBe('drift');
    expect(weak.action === 'drift' && weak.findings).toEqual([
      'deny_purge is off (the stream can be purged)',
      'max_age is 30 days (incidents would expire from the record)',
    ]);
  });
});
