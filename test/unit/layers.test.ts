import { ESLint } from 'eslint';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

/** The layer rules of design.md §2 fail lint; these cases prove the rule bites. */
const root = path.resolve(import.meta.dirname, '../..');
const eslint = new ESLint({ cwd: root });

async function layerErrors(file: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath: path.join(root, file) });
  return (result?.messages ?? []).filter((m) => m.ruleId === 'enclave/layers').map((m) => m.message);
}

const CASES: { file: string; code: string; refused: boolean }[] = [
  // The acceptance cases: the renderer reaching into core, core reaching for Electron.
  { file: 'renderer/app/x.ts', code: "import { openConsole } from '../../electron/core';", refused: true },
  {
    file: 'renderer/features/audit/x.ts',
    code: "import { Dispatcher } from '../../../electron/core/api/dispatcher';",
    refused: true,
  },
  { file: 'renderer/app/x.ts', code: "export * from '../../electron/core/store';", refused: true },
  { file: 'renderer/app/x.ts', code: "const m = await import('../../electron/core/ledger');", refused: true },
  { file: 'electron/core/api/x.ts', code: "import { app } from 'electron';", refused: true },
  { file: 'electron/core/x.ts', code: "const { safeStorage } = require('electron');", refused: true },
  { file: 'electron/core/x.ts', code: "import type { WebContents } from 'electron';", refused: true },
  // Other directions the design forbids.
  { file: 'electron/core/x.ts', code: "import '../../renderer/app/client';", refused: true },
  { file: 'electron/core/x.ts', code: "import '../main/window';", refused: true },
  { file: 'electron/core/x.ts', code: "import '../server';", refused: true },
  { file: 'shared/x.ts', code: "import { readFileSync } from 'node:fs';", refused: true },
  { file: 'shared/x.ts', code: "import Database from 'better-sqlite3';", refused: true },
  { file: 'shared/x.ts', code: "import '../electron/core';", refused: true },
  { file: 'renderer/app/x.ts', code: "import path from 'path';", refused: true },
  { file: 'renderer/app/x.ts', code: "import { ipcRenderer } from 'electron';", refused: true },
  { file: 'electron/preload/x.ts', code: "import '../core/store';", refused: true },
  { file: 'electron/server/x.ts', code: "import { BrowserWindow } from 'electron';", refused: true },
  { file: 'offline-bundles/x.ts', code: "import '../electron/core';", refused: true },
  // Allowed.
  { file: 'renderer/app/x.ts', code: "import { api } from '../../shared/api';", refused: false },
  { file: 'renderer/app/x.ts', code: "import { useState } from 'react';", refused: false },
  {
    file: 'electron/main/x.ts',
    code: "import { app } from 'electron';\nimport type { CoreToMain } from '../core/utility-protocol';",
    refused: false,
  },
  {
    file: 'electron/preload/x.ts',
    code: "import { contextBridge } from 'electron';\nimport { MAX_ENVELOPE_CHARS } from '../../shared/protocol';",
    refused: false,
  },
  {
    file: 'electron/core/x.ts',
    code: "import { z } from 'zod';\nimport { api } from '../../shared/api';\nimport fs from 'node:fs';",
    refused: false,
  },
  {
    file: 'electron/cli/x.ts',
    code: "import { startHarness } from '../server';\nimport { openConsole } from '../core';",
    refused: false,
  },
  {
    file: 'test/unit/x.ts',
    code: "import '../../electron/core';\nimport '../../renderer/app/x';",
    refused: false,
  },
];

describe('layer rules', () => {
  for (const c of CASES) {
    it(`${c.refused ? 'refuses' : 'allows'} ${c.file}: ${c.code.split('\n')[0]}`, async () => {
      const errors = await layerErrors(c.file, c.code);
      if (c.refused) expect(errors.length).toBeGreaterThan(0);
      else expect(errors).toEqual([]);
    });
  }

  it('explains the rule in the message', async () => {
    const [message] = await layerErrors('renderer/app/x.ts', "import '../../electron/core';");
    expect(message).toMatch(/renderer may not import core .*design\.md §2/);
  });
});
