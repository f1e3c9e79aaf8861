import { useCallback, useContext, useEffect, useMemo, useRef, useState } from 'react';
import type { AuditEntryView } from '../../../shared/api';
import type { ConsoleError } from '../../../shared/errors';
import { SessionExpiryContext, toConsoleError } from '../../app/calls';
import { useClient } from '../../app/connection';
import type { AuditQuery } from './filters';

const PAGE_SIZE = 200;

interface Ledger {
  /** The query and reload count these entries belong to. */
  key: string;
  entries: AuditEntryView[];
  total: number;
  /** No older entries remain (the last page came back short). */
  exhausted: boolean;
  error: ConsoleError | undefined;
}

/**
 * The audit ledger, newest first, filtered, loaded a page at a time as the operator
 * scrolls back (pages are keyed by ledger index so new entries do not shift them).
 */
export function useAuditLedger(query: AuditQuery) {
  const client = useClient();
  const expired = useContext(SessionExpiryContext);
  const [reloads, setReloads] = useState(0);
  const queryText = JSON.stringify(query);
  const key = `${reloads}:${queryText}`;
  const [ledger, setLedger] = useState<Ledger>({
    key: '',
    entries: [],
    total: 0,
    exhausted: true,
    error: undefined,
  });
  const fetchingOlder = useRef(false);

  // The query is already in the contract's shape (see queryOf); its text keeps the effects stable.
  const filter = useMemo(() => JSON.parse(queryText) as AuditQuery, [queryText]);

  const failed = useCallback(
    (error: unknown) => {
      const consoleError = toConsoleError(error);
      if (consoleError.code === 'UNAUTHENTICATED') expired();
      return consoleError;
    },
    [expired],
  );

  useEffect(() => {
    let live = true;
    client.call('audit.list', { ...filter, limit: PAGE_SIZE }).then(
      (page) =>
        live &&
        setLedger({
          key,
          entries: page.entries,
          total: page.total,
          exhausted: page.entries.length < PAGE_SIZE,
          error: undefined,
        }),
      (error: unknown) =>
        live && setLedger({ key, entries: [], total: 0, exhausted: true, error: failed(error) }),
    );
    return () => {
      live = false;
    };
  }, [client, key, filter, failed]);

  const current = ledger.key === key;
  const oldest = ledger.entries.at(-1);

  const loadOlder = useCallback(() => {
    if (!current || ledger.exhausted || !oldest || fetchingOlder.current) return;
    fetchingOlder.current = true;
    const belongs = (l: Ledger) => l.key === key;
    client
      .call('audit.list', { ...filter, beforeIndex: oldest.index, limit: PAGE_SIZE })
      .then(
        (page) =>
          setLedger((l) =>
            belongs(l)
              ? { ...l, entries: [...l.entries, ...page.entries], exhausted: page.entries.length < PAGE_SIZE }
              : l,
          ),
        (error: unknown) =>
          setLedger((l) => (belongs(l) ? { ...l, exhausted: true, error: failed(error) } : l)),
      )
      .finally(() => {
        fetchingOlder.current = false;
      });
  }, [client, current, failed, filter, key, ledger.exhausted, oldest]);

  return {
    entries: ledger.entries,
    total: ledger.total,
    error: current ? ledger.error : undefined,
    loading: !current,
    loadOlder,
    reload: useCallback(() => setReloads((n) => n + 1), []),
  };
}
