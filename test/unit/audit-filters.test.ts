import { describe, expect, it } from 'vitest';
import { parseCheckpoint } from '../../renderer/features/audit/checkpoint';
import {
  EMPTY_DRAFT,
  OTHER_ACTION,
  actionGroups,
  parseUtcFieldValue,
  queryOf,
  timeRangeProblem,
  withQuickRange,
} from '../../renderer/features/audit/filters';

describe('audit filters (renderer, pure)', () => {
  it.each([
    ['', undefined],
    ['2026-12-06T11:58', Date.UTC(2026, 11, 6, 11, 58)],
    ['2026-12-06T11:58:07', Date.UTC(2026, 11, 6, 11, 58, 7)],
    ['2026-12-06T11:58:07.5', Date.UTC(2026, 11, 6, 11, 58, 7, 500)],
    ['2026-12-06', undefined],
    ['garbage', undefined],
  ])('reads the field value %j as UTC', (value, ms) => expect(parseUtcFieldValue(value)).toBe(ms));

  it('turns a draft into the audit.list query, "to" covering its whole second', () => {
    expect(queryOf(EMPTY_DRAFT)).toEqual({});
    expect(
      queryOf({
        ...EMPTY_DRAFT,
        operator: ' alice ',
        action: 'session.signIn',
        target: 'gpu-07',
        outcome: 'denied',
        from: '2026-12-06T11:00',
        to: '2026-12-06T12:00:05',
      }),
    ).toEqual({
      operator: 'alice',
      procedure: 'session.signIn',
      target: 'gpu-07',
      outcome: 'denied',
      since: '2026-12-06T11:00:00.000Z',
      until: '2026-12-06T12:00:06.000Z',
    });
    expect(queryOf({ ...EMPTY_DRAFT, action: OTHER_ACTION, otherAction: 'system.start' }).procedure).toBe(
      'system.start',
    );
  });

  it('says when a range ends before it starts', () => {
    expect(timeRangeProblem({ from: '2026-12-06T12:00', to: '2026-12-06T11:00' })).toBe(
      'ends before it starts',
    );
    expect(timeRangeProblem({ from: '2026-12-06T11:00', to: '' })).toBeUndefined();
  });

  it('applies quick ranges as open-ended', () => {
    const draft = withQuickRange(EMPTY_DRAFT, 'day', new Date('2026-12-06T12:00:00Z'));
    expect(draft).toMatchObject({ from: '2026-12-05T12:00:00', to: '', range: 'day' });
  });

  it('offers every audited procedure and the system events as actions', () => {
    const ids = actionGroups().flatMap((g) => g.ids);
    expect(ids).toContain('session.signIn');
    expect(ids).toContain('audit.export');
    expect(ids).toContain('ledger.keyCreated');
    expect(ids).not.toContain('audit.list'); // not audited: never in the ledger
  });
});

describe('checkpoint display', () => {
  it('reads origin, size, root and signers, and refuses other text', () => {
    const note =
      'example.org/log\n3\nwwEMkg4Y8m68Z0zGP/dFgmcrLUOW+uyttUjkWDso37g=\n\n— example.org/log AAAA\n— witness.example BBBB\n';
    expect(parseCheckpoint(note)).toEqual({
      origin: 'example.org/log',
      size: 3,
      root: 'wwEMkg4Y8m68Z0zGP/dFgmcrLUOW+uyttUjkWDso37g=',
      signers: ['example.org/log', 'witness.example'],
    });
    expect(parseCheckpoint('not a checkpoint')).toBeUndefined();
  });
});
