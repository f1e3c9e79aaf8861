/**
 * Worker thread for ledger verification: hashes one range of the ledger on its
 * own read-only connection (bundled to out/node/ledger-verify-worker.mjs).
 */
import Database from 'better-sqlite3';
import { parentPort, workerData } from 'node:worker_threads';
import { hashRange } from './verify-range';

const { dbPath, start, end, blockSize, sizes } = workerData as {
  dbPath: string;
  start: number;
  end: number;
  blockSize: number;
  sizes: number[];
};
const db = new Database(dbPath, { readonly: true, fileMustExist: true });
try {
  parentPort?.postMessage(hashRange(db, start, end, blockSize, sizes));
} finally {
  db.close();
}
