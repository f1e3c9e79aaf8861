export { openDatabase, schemaVersion, SCHEMA_VERSION, DATABASE_FILE, type Db } from './database';
export { resolveDataDir, ensureDataDir } from './data-dir';
export { SecretsVault, seal, unseal, type OsKeyring } from './secrets';
export { hashPassphrase, verifyPassphrase } from './kdf';
export { MIGRATIONS, type Migration } from './migrations';
