/**
 * The Electron shell's security checks that electronegativity cannot see, run under plain Node:
 *  - the pure rules in electron/main/policy.ts, with tables of cases;
 *  - static checks of the sources (TypeScript compiler API): webPreferences flags, who imports
 *    'electron', what the preload exposes, which IPC channels exist;
 *  - the bundles the build makes (esbuild, in memory): what they require;
 *  - the composition root and its parts against a fake 'electron' module, so the wiring, the
 *    denials, the app:// handler and the core's lifecycle run without an Electron binary.
 * The real 'electron' package is never loaded: it would try to download the binary.
 */
import {
  mkdtempSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { builtinModules } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import ts from 'typescript';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { MAX_ENVELOPE_CHARS } from '../../shared/protocol';
import {
  CONTENT_SECURITY_POLICY,
  dataDirArgument,
  isAllowedRequest,
  isAppOrigin,
  isInside,
  isTrustedSender,
  keyringStatus,
  mimeTypeFor,
  resolveAppFile,
  shouldRestart,
} from '../../electron/main/policy';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const MAIN_DIR = path.join(ROOT, 'electron', 'main');
const PRELOAD_FILE = path.join(ROOT, 'electron', 'preload', 'index.ts');

// ---------------------------------------------------------------------------------------------
// A fake 'electron': records what the shell asks of it. Built in vi.hoisted so vi.mock can use it.

type Listener = (...args: never[]) => unknown;

const fake = vi.hoisted(() => {
  // Belt and braces: if anything did load the real package, it would return a path, not download.
  process.env.ELECTRON_OVERRIDE_DIST_PATH ??= '/nonexistent/electron-dist';

  class Emitter {
    readonly listeners = new Map<string, Listener[]>();
    on(name: string, listener: Listener): this {
      this.listeners.set(name, [...(this.listeners.get(name) ?? []), listener]);
      return this;
    }
    once(name: string, listener: Listener): this {
      const wrapped = (...args: never[]): unknown => {
        this.off(name, wrapped);
        return listener(...args);
      };
      return this.on(name, wrapped);
    }
    off(name: string, listener: Listener): this {
      this.listeners.set(
        name,
        (this.listeners.get(name) ?? []).filter((l) => l !== listener),
      );
      return this;
    }
    emit(name: string, ...args: unknown[]): unknown[] {
      return (this.listeners.get(name) ?? []).map((l) => (l as (...a: unknown[]) => unknown)(...args));
    }
  }

  class FakeWebContents extends Emitter {
    readonly sent: { channel: string; ports: unknown[] }[] = [];
    windowOpenHandler: ((details: { url: string }) => unknown) | null = null;
    reloads = 0;
    setWindowOpenHandler(handler: (details: { url: string }) => unknown): void {
      this.windowOpenHandler = handler;
    }
    postMessage(channel: string, _message: unknown, ports: unknown[] = []): void {
      this.sent.push({ channel, ports });
    }
    reload(): void {
      this.reloads++;
    }
  }

  class FakeBrowserWindow extends Emitter {
    static readonly created: FakeBrowserWindow[] = [];
    readonly webContents = new FakeWebContents();
    loadedUrl = '';
    constructor(readonly options: { webPreferences: Record<string, unknown> } & Record<string, unknown>) {
      super();
      FakeBrowserWindow.created.push(this);
    }
    loadURL(url: string): Promise<void> {
      this.loadedUrl = url;
      return Promise.resolve();
    }
    show(): void {}
    isMinimized(): boolean {
      return false;
    }
    restore(): void {}
    focus(): void {}
  }

  class FakeChild extends Emitter {
    readonly posted: { message: Record<string, unknown>; transfer: unknown[] }[] = [];
    killed = false;
    constructor(
      readonly modulePath: string,
      readonly options: Record<string, unknown>,
    ) {
      super();
    }
    postMessage(message: Record<string, unknown>, transfer: unknown[] = []): void {
      this.posted.push({ message, transfer });
    }
    kill(): boolean {
      this.killed = true;
      return true;
    }
  }

  class FakeSession extends Emitter {
    protocolHandler: ((request: Request) => Promise<Response>) | null = null;
    permissionRequest: Listener | null = null;
    permissionCheck: Listener | null = null;
    devicePermission: Listener | null = null;
    beforeRequest: Listener | null = null;
    spellChecker = true;
    readonly protocol = {
      handle: (scheme: string, handler: (request: Request) => Promise<Response>): void => {
        if (scheme !== 'app') throw new Error(`unexpected scheme ${scheme}`);
        this.protocolHandler = handler;
      },
    };
    readonly webRequest = {
      onBeforeRequest: (listener: Listener): void => {
        this.beforeRequest = listener;
      },
    };
    setPermissionRequestHandler(handler: Listener): void {
      this.permissionRequest = handler;
    }
    setPermissionCheckHandler(handler: Listener): void {
      this.permissionCheck = handler;
    }
    setDevicePermissionHandler(handler: Listener): void {
      this.devicePermission = handler;
    }
    setSpellCheckerEnabled(enabled: boolean): void {
      this.spellChecker = enabled;
    }
  }

  const state = {
    sandboxEnabled: false,
    singleInstanceLockRequested: false,
    switches: [] as string[],
    paths: new Map<string, string>(),
    privilegedSchemes: [] as unknown[],
    children: [] as FakeChild[],
    keyringAvailable: true,
    keyringBackend: 'basic_text',
    applicationMenu: null as unknown,
  };

  const app = Object.assign(new Emitter(), {
    isPackaged: false,
    whenReady: () => Promise.resolve(),
    setPath: (name: string, value: string) => void state.paths.set(name, value),
    getVersion: () => '0.1.0',
    enableSandbox: () => void (state.sandboxEnabled = true),
    requestSingleInstanceLock: () => (state.singleInstanceLockRequested = true),
    commandLine: { appendSwitch: (name: string) => void state.switches.push(name) },
    quit: vi.fn(),
    exit: vi.fn(),
  });

  const module = {
    app,
    BrowserWindow: FakeBrowserWindow,
    dialog: { showErrorBox: vi.fn(), showMessageBox: vi.fn(() => Promise.resolve({ response: 0 })) },
    ipcMain: new Emitter(),
    Menu: {
      buildFromTemplate: (template: unknown[]) => ({ template }),
      setApplicationMenu: (menu: unknown) => void (state.applicationMenu = menu),
    },
    MessageChannelMain: class {
      readonly port1 = { name: 'port1' };
      readonly port2 = { name: 'port2' };
    },
    protocol: {
      registerSchemesAsPrivileged: (schemes: unknown[]) => void state.privilegedSchemes.push(...schemes),
    },
    safeStorage: {
      isAsyncEncryptionAvailable: () => Promise.resolve(state.keyringAvailable),
      getSelectedStorageBackend: () => state.keyringBackend,
      encryptStringAsync: (text: string) => Promise.resolve(Buffer.from(`sealed:${text}`)),
      decryptStringAsync: (data: Buffer) =>
        Promise.resolve({ result: data.toString().replace(/^sealed:/, ''), shouldReEncrypt: false }),
    },
    session: { defaultSession: new FakeSession() },
    utilityProcess: {
      fork: (modulePath: string, _args: string[], options: Record<string, unknown>) => {
        const child = new FakeChild(modulePath, options);
        state.children.push(child);
        return child;
      },
    },
  };
  return { module, state, FakeBrowserWindow, FakeSession, FakeWebContents };
});

vi.mock('electron', () => fake.module);

/** Lets queued promise callbacks (the core's async message handling) run. */
const settle = () => new Promise((resolve) => setTimeout(resolve, 0));

// ---------------------------------------------------------------------------------------------

describe('policy: origins and requests', () => {
  it.each([
    ['app://enclave/', true],
    ['app://enclave', true],
    ['app://enclave/index.html?x=1#y', true],
    ['app://enclave:8080/', false],
    ['app://user:pw@enclave/', false],
    ['app://enclave.evil/', false],
    ['app://evil/', false],
    ['https://enclave/', false],
    ['http://127.0.0.1:5173/', false],
    ['file:///etc/passwd', false],
    ['data:text/html,<script>alert(1)</script>', false],
    ['javascript:alert(1)', false],
    ['devtools://devtools/bundled/inspector.html', false],
    ['', false],
    ['not a url', false],
  ])('isAppOrigin(%j) is %s', (url, expected) => {
    expect(isAppOrigin(url)).toBe(expected);
  });

  it.each([
    ['app://enclave/assets/index.js', false, true],
    ['app://enclave/', true, true],
    ['devtools://devtools/bundled/inspector.html', true, true],
    ['devtools://devtools/bundled/inspector.html', false, false],
    ['https://clients2.google.com/service/update2', true, false],
    ['http://127.0.0.1:8080/', true, false],
    ['ws://127.0.0.1:8080/', true, false],
    ['file:///etc/passwd', true, false],
    ['data:image/png;base64,AAAA', true, false],
    ['blob:app://enclave/5f0c', true, false],
    ['chrome-extension://abc/x.js', true, false],
    ['app://other/', true, false],
  ])('isAllowedRequest(%j, devtools=%s) is %s', (url, devtools, expected) => {
    expect(isAllowedRequest(url, { devtools })).toBe(expected);
  });

  it.each([
    ['top frame on app://enclave', { url: 'app://enclave/', parent: null }, true],
    ['top frame on a deep route', { url: 'app://enclave/hosts/7', parent: null }, true],
    ['subframe on app://enclave', { url: 'app://enclave/', parent: {} }, false],
    ['top frame on https', { url: 'https://evil.example/', parent: null }, false],
    ['top frame on file:', { url: 'file:///tmp/x.html', parent: null }, false],
    ['top frame on another app host', { url: 'app://evil/', parent: null }, false],
    ['top frame before navigation', { url: 'about:blank', parent: null }, false],
    ['no frame (destroyed)', null, false],
    ['undefined frame', undefined, false],
  ])('isTrustedSender: %s', (_name, frame, expected) => {
    expect(isTrustedSender(frame)).toBe(expected);
  });
});

describe('policy: app:// file resolution', () => {
  const root = path.resolve('/srv/enclave/out/renderer');
  const inRoot = (...parts: string[]) => path.join(root, ...parts);

  it.each([
    ['app://enclave/', inRoot('index.html')],
    ['app://enclave', inRoot('index.html')],
    ['app://enclave/index.html', inRoot('index.html')],
    ['app://enclave/assets/index-1a2b.js?v=1#x', inRoot('assets', 'index-1a2b.js')],
    ['app://enclave/assets/space%20name.css', inRoot('assets', 'space name.css')],
    ['app://enclave/hosts/42', inRoot('index.html')],
    // The URL parser itself folds `..` and `%2e%2e` segments: they cannot leave the root
    // (and an extensionless name is a client-side route, so it gets index.html).
    ['app://enclave/../../etc/passwd', inRoot('index.html')],
    [
      'app://enclave/../../etc/ssh/ssh_host_ed25519_key.pub',
      inRoot('etc', 'ssh', 'ssh_host_ed25519_key.pub'),
    ],
    ['app://enclave/%2e%2e/%2E%2e/etc/hosts.allow', inRoot('etc', 'hosts.allow')],
    ['app://enclave/assets/../../../../etc/shadow.bak', inRoot('etc', 'shadow.bak')],
    // Encoded separators survive parsing, so the decoded path is refused.
    ['app://enclave/..%2f..%2fetc%2fpasswd', null],
    ['app://enclave/assets/%2e%2e%2f%2e%2e%2f%2e%2e%2fetc%2fpasswd', null],
    ['app://enclave/%2e%2e%5c%2e%2e%5cwindows%5cwin.ini', null],
    ['app://enclave/assets/..%5c..%5csecret.txt', null],
    ['app://enclave/%2fetc%2fgroup.conf', inRoot('etc', 'group.conf')],
    ['app://enclave/C:%5cWindows%5cwin.ini', null],
    ['app://enclave/c:/secret.txt', null],
    ['app://enclave/index.html%00.png', null],
    ['app://enclave/%E0%A4%A.js', null],
    ['app://evil/index.html', null],
    ['app://enclave:1/index.html', null],
    ['https://enclave/index.html', null],
    ['file:///etc/passwd', null],
    ['data:text/html,hi', null],
  ])('resolveAppFile(%j)', (url, expected) => {
    const file = resolveAppFile(root, url);
    expect(file).toBe(expected);
    if (file !== null) expect(isInside(root, file)).toBe(true);
  });

  it.each([
    ['/a/b', '/a/b/c', true],
    ['/a/b', '/a/b/c/d.js', true],
    ['/a/b', '/a/b', false],
    ['/a/b', '/a/bc/d', false],
    ['/a/b', '/a/b/../c', false],
    ['/a/b', '/etc/passwd', false],
    ['/a/b', '/a/b/..foo', true],
  ])('isInside(%j, %j) is %s', (root, file, expected) => {
    expect(isInside(root, file)).toBe(expected);
  });

  it('gives scripts, styles and pages their types and everything else opaque bytes', () => {
    expect(mimeTypeFor('/x/index.html')).toBe('text/html; charset=utf-8');
    expect(mimeTypeFor('/x/a.JS')).toBe('text/javascript; charset=utf-8');
    expect(mimeTypeFor('/x/a.css')).toBe('text/css; charset=utf-8');
    expect(mimeTypeFor('/x/a.exe')).toBe('application/octet-stream');
    expect(mimeTypeFor('/x/README')).toBe('application/octet-stream');
  });

  it('has exactly the CSP of the design', () => {
    expect(CONTENT_SECURITY_POLICY).toBe(
      "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; " +
        "connect-src 'none'; object-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
    );
  });
});

describe('policy: data dir, keyring, restarts', () => {
  it.each([
    [[], undefined],
    [['--data-dir', '/srv/enclave'], '/srv/enclave'],
    [['--data-dir=/srv/enclave'], '/srv/enclave'],
    [['--inspect=0', 'out/node/electron-main.mjs', '--data-dir', 'rel/dir'], 'rel/dir'],
    [['--other', '--data-dir=/a', '--data-dir=/b'], '/a'],
  ])('dataDirArgument(%j) is %j', (argv, expected) => {
    expect(dataDirArgument(argv)).toBe(expected);
  });

  it.each([[['--data-dir']], [['--data-dir=']], [['--data-dir', '--verbose']]])(
    'dataDirArgument(%j) is a usage error',
    (argv) => {
      expect(() => dataDirArgument(argv)).toThrow(/--data-dir needs a directory/);
    },
  );

  it.each([
    ['linux', true, 'basic_text', false],
    ['linux', true, 'unknown', false],
    ['linux', true, 'gnome_libsecret', true],
    ['linux', true, 'kwallet6', true],
    ['linux', false, 'gnome_libsecret', false],
    ['darwin', true, 'keychain', true],
    ['win32', true, 'dpapi', true],
    ['win32', false, 'dpapi', false],
  ])('keyringStatus(%s, encryption=%s, %s).available is %s', (platform, encryption, backend, expected) => {
    expect(keyringStatus(platform, encryption, backend)).toEqual({ available: expected, backend });
  });

  it('restarts the core at most three times a minute', () => {
    const now = 1_000_000;
    expect(shouldRestart([], now)).toBe(true);
    expect(shouldRestart([now - 1000, now - 500], now)).toBe(true);
    expect(shouldRestart([now - 3000, now - 2000, now - 1000], now)).toBe(false);
    expect(shouldRestart([now - 120_000, now - 90_000, now - 61_000], now)).toBe(true);
  });
});

// ---------------------------------------------------------------------------------------------
// Static checks with the TypeScript compiler API.

function parse(file: string): ts.SourceFile {
  return ts.createSourceFile(
    file,
    readFileSync(file, 'utf8'),
    ts.ScriptTarget.Latest,
    true,
    ts.ScriptKind.TSX,
  );
}

function descendants(node: ts.Node): ts.Node[] {
  const out: ts.Node[] = [];
  const visit = (n: ts.Node): void => {
    out.push(n);
    n.forEachChild(visit);
  };
  visit(node);
  return out;
}

function propertyName(p: ts.ObjectLiteralElementLike): string | undefined {
  return p.name && (ts.isIdentifier(p.name) || ts.isStringLiteral(p.name)) ? p.name.text : undefined;
}

/** `a.b(...)` calls whose method is `method`, e.g. every `x.on(...)`. */
function methodCalls(source: ts.SourceFile, method: string): ts.CallExpression[] {
  return descendants(source).filter(
    (n): n is ts.CallExpression =>
      ts.isCallExpression(n) &&
      ts.isPropertyAccessExpression(n.expression) &&
      n.expression.name.text === method,
  );
}

function firstStringArgument(call: ts.CallExpression): string | undefined {
  const arg = call.arguments[0];
  return arg && ts.isStringLiteralLike(arg) ? arg.text : undefined;
}

/** Module specifiers a file loads: import/export declarations, import(), require(), import x = require(). */
function moduleSpecifiers(source: ts.SourceFile): string[] {
  const specs: string[] = [];
  for (const n of descendants(source)) {
    if ((ts.isImportDeclaration(n) || ts.isExportDeclaration(n)) && n.moduleSpecifier) {
      if (ts.isStringLiteral(n.moduleSpecifier)) specs.push(n.moduleSpecifier.text);
    } else if (ts.isExternalModuleReference(n) && ts.isStringLiteral(n.expression)) {
      specs.push(n.expression.text);
    } else if (
      ts.isCallExpression(n) &&
      (n.expression.kind === ts.SyntaxKind.ImportKeyword ||
        (ts.isIdentifier(n.expression) && n.expression.text === 'require'))
    ) {
      const spec = firstStringArgument(n);
      if (spec !== undefined) specs.push(spec);
    } else if (
      ts.isImportTypeNode(n) &&
      ts.isLiteralTypeNode(n.argument) &&
      ts.isStringLiteral(n.argument.literal)
    ) {
      specs.push(n.argument.literal.text);
    }
  }
  return specs;
}

const SKIP_DIRS = new Set([
  'node_modules',
  'out',
  'dist',
  '.git',
  'test-results',
  'playwright-report',
  'coverage',
  '.vite',
]);

function sourceFiles(dir: string): string[] {
  const files: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) {
      // test/fixtures holds deliberately bad inputs (e.g. for the lint rules), not project code.
      if (!SKIP_DIRS.has(entry.name) && path.relative(ROOT, full) !== path.join('test', 'fixtures')) {
        files.push(...sourceFiles(full));
      }
    } else if (/\.(?:[cm]?[jt]s|tsx|jsx)$/.test(entry.name) && !entry.name.endsWith('.d.ts')) {
      files.push(full);
    }
  }
  return files;
}

const mainSources = readdirSync(MAIN_DIR)
  .filter((f) => f.endsWith('.ts'))
  .map((f) => parse(path.join(MAIN_DIR, f)));
const preloadSource = parse(PRELOAD_FILE);

describe('static: the window and its webPreferences', () => {
  const constructions = mainSources.flatMap((s) =>
    descendants(s).filter(
      (n): n is ts.NewExpression =>
        ts.isNewExpression(n) &&
        ts.isIdentifier(n.expression) &&
        ['BrowserWindow', 'BrowserView', 'WebContentsView'].includes(n.expression.text),
    ),
  );

  it('creates exactly one BrowserWindow and no other web contents views', () => {
    expect(constructions.map((c) => c.expression.getText())).toEqual(['BrowserWindow']);
  });

  it('sets every security flag as a literal, with no spread that could override one', () => {
    const options = constructions[0]?.arguments?.[0];
    expect(options && ts.isObjectLiteralExpression(options)).toBe(true);
    const prefs = (options as ts.ObjectLiteralExpression).properties.find(
      (p) => propertyName(p) === 'webPreferences',
    );
    expect(prefs && ts.isPropertyAssignment(prefs) && ts.isObjectLiteralExpression(prefs.initializer)).toBe(
      true,
    );
    const literal = (prefs as ts.PropertyAssignment).initializer as ts.ObjectLiteralExpression;
    expect(literal.properties.filter((p) => ts.isSpreadAssignment(p))).toHaveLength(0);

    const values = new Map<string, string>();
    for (const p of literal.properties) {
      const name = propertyName(p);
      if (name === undefined) continue;
      values.set(name, ts.isPropertyAssignment(p) ? p.initializer.getText() : name);
    }
    const required: Record<string, string> = {
      contextIsolation: 'true',
      sandbox: 'true',
      nodeIntegration: 'false',
      nodeIntegrationInWorker: 'false',
      nodeIntegrationInSubFrames: 'false',
      webSecurity: 'true',
      allowRunningInsecureContent: 'false',
      experimentalFeatures: 'false',
      webviewTag: 'false',
      navigateOnDragDrop: 'false',
      spellcheck: 'false',
      disableBlinkFeatures: "'Auxclick'",
    };
    for (const [flag, value] of Object.entries(required)) expect(values.get(flag), flag).toBe(value);
    expect(values.has('preload')).toBe(true);
    for (const banned of [
      'enableBlinkFeatures',
      'additionalArguments',
      'enableWebSQL',
      'session',
      'partition',
    ]) {
      expect(values.has(banned), banned).toBe(false);
    }
    // DevTools follow the packaging state, never a literal true.
    expect(values.get('devTools')).not.toBe('true');
  });
});

describe('static: who may use Electron, and how', () => {
  // `npm start`'s launcher asks the npm package for the binary's path (it never runs in a test).
  const LAUNCHERS = new Set(['build/start.mjs']);

  it("only electron/main and electron/preload import 'electron' (not policy.ts, not any test)", () => {
    const offenders: string[] = [];
    for (const file of sourceFiles(ROOT)) {
      const rel = path.relative(ROOT, file).split(path.sep).join('/');
      const importsElectron = moduleSpecifiers(parse(file)).some(
        (s) => s === 'electron' || s.startsWith('electron/'),
      );
      const allowed =
        rel.startsWith('electron/main/') || rel.startsWith('electron/preload/') || LAUNCHERS.has(rel);
      if (importsElectron && (!allowed || rel === 'electron/main/policy.ts')) offenders.push(rel);
    }
    expect(offenders).toEqual([]);
  });

  it('the preload imports only electron (contextBridge, ipcRenderer), the shared limits and types', () => {
    const imports = preloadSource.statements.filter(ts.isImportDeclaration);
    const runtime = imports.filter((i) => !i.importClause?.isTypeOnly);
    expect(runtime.map((i) => (i.moduleSpecifier as ts.StringLiteral).text)).toEqual([
      'electron',
      '../../shared/limits',
    ]);
    const names = runtime[0]?.importClause?.namedBindings;
    expect(names && ts.isNamedImports(names) ? names.elements.map((e) => e.name.text).sort() : []).toEqual([
      'contextBridge',
      'ipcRenderer',
    ]);
  });

  it('the preload exposes exactly postEnvelope and onEnvelope on window.enclave, and never ipcRenderer', () => {
    const exposures = [
      ...methodCalls(preloadSource, 'exposeInMainWorld'),
      ...methodCalls(preloadSource, 'exposeInIsolatedWorld'),
    ];
    expect(exposures).toHaveLength(1);
    const [key, value] = exposures[0]!.arguments;
    expect(key && ts.isStringLiteral(key) ? key.text : null).toBe('enclave');
    expect(value && ts.isIdentifier(value)).toBe(true);
    const declaration = descendants(preloadSource).find(
      (n): n is ts.VariableDeclaration =>
        ts.isVariableDeclaration(n) &&
        ts.isIdentifier(n.name) &&
        n.name.text === (value as ts.Identifier).text,
    );
    const literal = declaration?.initializer;
    expect(literal && ts.isObjectLiteralExpression(literal)).toBe(true);
    const properties = (literal as ts.ObjectLiteralExpression).properties;
    expect(properties.map(propertyName).sort()).toEqual(['onEnvelope', 'postEnvelope']);
    for (const p of properties) expect(ts.isMethodDeclaration(p), propertyName(p)).toBe(true);
    const leaked = descendants(literal!).filter((n) => ts.isIdentifier(n) && n.text === 'ipcRenderer');
    expect(leaked).toHaveLength(0);
  });

  it('the preload speaks only enclave:connect (send) and enclave:port (once)', () => {
    const used = ['send', 'sendSync', 'invoke', 'on', 'once', 'postMessage', 'sendToHost'].flatMap((m) =>
      methodCalls(preloadSource, m)
        .filter((c) => (c.expression as ts.PropertyAccessExpression).expression.getText() === 'ipcRenderer')
        .map((c) => `${m} ${firstStringArgument(c)}`),
    );
    expect(used.sort()).toEqual(['once enclave:port', 'send enclave:connect']);
  });

  it('main listens on one IPC channel, enclave:connect, and checks the sender frame there', () => {
    const ipc = mainSources.flatMap((s) =>
      ['on', 'once', 'handle', 'handleOnce'].flatMap((m) =>
        methodCalls(s, m).filter(
          (c) => (c.expression as ts.PropertyAccessExpression).expression.getText() === 'ipcMain',
        ),
      ),
    );
    expect(ipc.map((c) => firstStringArgument(c))).toEqual(['enclave:connect']);
    const handler = ipc[0]!.arguments[1]!;
    expect(handler.getText()).toMatch(/isTrustedSender\(event\.senderFrame\)/);
    expect(handler.getText()).toMatch(/event\.sender !== mainWindow\.webContents/);
  });

  it('main uses no auto-update, crash upload, external-open, code injection or keyring downgrade', () => {
    const banned = new Set([
      'autoUpdater',
      'crashReporter',
      'openExternal',
      'executeJavaScript',
      'insertCSS',
      'setUsePlainTextEncryption',
      'openDevTools',
      'registerFileProtocol',
      'interceptFileProtocol',
      'bypassCSP',
    ]);
    const found = [...mainSources, preloadSource].flatMap((s) =>
      descendants(s)
        .filter((n): n is ts.Identifier => ts.isIdentifier(n) && banned.has(n.text))
        .map((n) => `${path.basename(s.fileName)}: ${n.text}`),
    );
    expect(found).toEqual([]);
  });

  it('the preload takes its size limit from shared/limits (zod-free), not a copy', () => {
    const imports = descendants(preloadSource).filter(ts.isImportDeclaration);
    const limits = imports.find(
      (i) => (i.moduleSpecifier as ts.StringLiteral).text === '../../shared/limits',
    );
    expect(limits?.getText(preloadSource)).toContain('MAX_ENVELOPE_CHARS');
    expect(MAX_ENVELOPE_CHARS).toBe(1_000_000);
  });
});

// ---------------------------------------------------------------------------------------------
// The bundles, built the way build/build.mjs builds them (in memory).

/** The options build/build.mjs uses for these two entries. */
async function bundle(entry: string, kind: 'main' | 'preload'): Promise<string> {
  const result = await build({
    entryPoints: [entry],
    bundle: true,
    target: 'node20',
    write: false,
    logLevel: 'silent',
    ...(kind === 'main'
      ? { platform: 'node', format: 'esm', packages: 'external' }
      : { platform: 'browser', format: 'cjs', external: ['electron'] }),
  });
  return result.outputFiles[0]!.text;
}

describe('bundles', () => {
  it('the preload bundle requires nothing but electron and stays small', async () => {
    const text = await bundle(PRELOAD_FILE, 'preload');
    const required = [...text.matchAll(/\brequire\(\s*["']([^"']+)["']\s*\)/g)].map((m) => m[1]);
    expect([...new Set(required)]).toEqual(['electron']);
    // A sandboxed preload cannot load modules; zod or other libraries must not be inlined.
    expect(text.length).toBeLessThan(10_000);
  });

  it('the main bundle imports only electron and Node built-ins (no npm packages, no native modules)', async () => {
    const text = await bundle(path.join(MAIN_DIR, 'index.ts'), 'main');
    const imported = [...text.matchAll(/^import\s[^'"]*["']([^"']+)["'];?$/gm)].map((m) => m[1]!);
    const builtins = new Set(builtinModules);
    const other = imported.filter((s) => s !== 'electron' && !s.startsWith('node:') && !builtins.has(s));
    expect(imported).toContain('electron');
    expect(other).toEqual([]);
    expect(text).not.toMatch(/better-sqlite3|\.node["']/);
  });
});

// ---------------------------------------------------------------------------------------------
// The shell against the fake Electron.

describe('composition root (electron/main/index.ts) against a fake Electron', () => {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'enclave-shell-'));
  const session = fake.module.session.defaultSession;
  let window: InstanceType<typeof fake.FakeBrowserWindow>;
  const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
  const error = vi.spyOn(console, 'error').mockImplementation(() => {});

  beforeAll(async () => {
    process.env.ENCLAVE_DATA_DIR = dataDir;
    fake.state.keyringBackend = 'basic_text';
    await import('../../electron/main/index');
    await vi.waitFor(() => expect(fake.state.children).toHaveLength(1));
    window = fake.FakeBrowserWindow.created[0]!;
  });

  afterAll(() => {
    delete process.env.ENCLAVE_DATA_DIR;
    warn.mockRestore();
    error.mockRestore();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('before ready: sandbox for all, app:// privileged, Chromium files under the data dir, one instance', () => {
    expect(fake.state.sandboxEnabled).toBe(true);
    expect(fake.state.privilegedSchemes).toEqual([
      { scheme: 'app', privileges: { standard: true, secure: true, supportFetchAPI: true } },
    ]);
    expect(fake.state.paths.get('userData')).toBe(path.join(dataDir, 'electron'));
    expect(fake.state.singleInstanceLockRequested).toBe(true);
    expect(fake.state.switches).toEqual(
      expect.arrayContaining([
        'disable-background-networking',
        'disable-component-update',
        'disable-http-cache',
      ]),
    );
  });

  it('opens the window on app://enclave/ with the secure webPreferences and the built preload', () => {
    expect(window.loadedUrl).toBe('app://enclave/');
    const prefs = window.options.webPreferences;
    expect(prefs).toMatchObject({
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      experimentalFeatures: false,
      webviewTag: false,
      navigateOnDragDrop: false,
      spellcheck: false,
    });
    // Paths are relative to the main bundle's folder (out/node) once built.
    expect(path.relative(MAIN_DIR, prefs.preload as string)).toBe(path.join('..', 'preload', 'preload.cjs'));
    expect(fake.state.applicationMenu).not.toBeNull();
  });

  it('forks the core as a utilityProcess and tells it where the data is and that basic_text is no keyring', () => {
    const child = fake.state.children[0]!;
    expect(path.relative(MAIN_DIR, child.modulePath)).toBe('core-process.mjs');
    expect(child.options).toMatchObject({ serviceName: 'Enclave Console core' });
    expect(child.posted[0]?.message).toEqual({
      type: 'start',
      dataDir,
      keyring: { available: false, backend: 'basic_text' },
    });
  });

  it('denies every permission, device, download and non-app request in the session', () => {
    const granted: boolean[] = [];
    for (const permission of ['media', 'geolocation', 'notifications', 'clipboard-read', 'openExternal']) {
      (session.permissionRequest as (...a: unknown[]) => void)(null, permission, (ok: boolean) =>
        granted.push(ok),
      );
    }
    expect(granted).toEqual([false, false, false, false, false]);
    expect(
      (session.permissionCheck as (...a: unknown[]) => boolean)(null, 'media', 'app://enclave', {}),
    ).toBe(false);
    expect((session.devicePermission as (...a: unknown[]) => boolean)({ deviceType: 'usb' })).toBe(false);
    expect(session.spellChecker).toBe(false);

    const download = { prevented: false, preventDefault: () => void (download.prevented = true) };
    session.emit('will-download', download);
    expect(download.prevented).toBe(true);

    const decide = (url: string) => {
      let cancel: boolean | undefined;
      (session.beforeRequest as (...a: unknown[]) => void)(
        { url },
        (r: { cancel: boolean }) => (cancel = r.cancel),
      );
      return cancel;
    };
    expect(decide('app://enclave/assets/index.js')).toBe(false);
    expect(decide('https://update.electronjs.org/')).toBe(true);
    expect(decide('http://127.0.0.1:9222/json')).toBe(true);
    expect(decide('file:///etc/passwd')).toBe(true);
    // Unpackaged here (fake isPackaged=false), so DevTools' own pages load.
    expect(decide('devtools://devtools/bundled/inspector.html')).toBe(false);
  });

  it('every web contents: navigation off-origin, redirects, new windows and webviews are refused', () => {
    const contents = new fake.FakeWebContents();
    fake.module.app.emit('web-contents-created', {}, contents);
    const fire = (name: string, url: string) => {
      const event = { url, prevented: false, preventDefault: () => void (event.prevented = true) };
      contents.emit(name, event, url);
      return event.prevented;
    };
    for (const name of ['will-navigate', 'will-frame-navigate', 'will-redirect']) {
      expect(fire(name, 'https://evil.example/'), name).toBe(true);
      expect(fire(name, 'file:///etc/passwd'), name).toBe(true);
      expect(fire(name, 'app://evil/'), name).toBe(true);
      expect(fire(name, 'app://enclave/hosts'), name).toBe(false);
    }
    expect(fire('will-attach-webview', 'app://enclave/')).toBe(true);
    expect(contents.windowOpenHandler?.({ url: 'app://enclave/' })).toEqual({ action: 'deny' });
    expect(contents.windowOpenHandler?.({ url: 'https://evil.example/' })).toEqual({ action: 'deny' });
  });

  describe('renderer <-> core wiring', () => {
    const child = () => fake.state.children.at(-1)!;
    const connect = (sender: unknown, senderFrame: unknown) =>
      fake.module.ipcMain.emit('enclave:connect', { sender, senderFrame });
    const connects = () => child().posted.filter((p) => p.message.type === 'connect');

    it('gives the trusted top frame one end and the core the other, once the core is ready', async () => {
      connect(window.webContents, { url: 'app://enclave/', parent: null });
      expect(window.webContents.sent).toEqual([{ channel: 'enclave:port', ports: [{ name: 'port2' }] }]);
      expect(connects()).toHaveLength(0); // held until the core says ready
      child().emit('message', { type: 'ready' });
      await settle();
      expect(connects()).toEqual([
        { message: { type: 'connect', origin: 'app://enclave' }, transfer: [{ name: 'port1' }] },
      ]);
    });

    it.each([
      ['a subframe', { url: 'app://enclave/', parent: {} }],
      ['a foreign origin', { url: 'https://evil.example/', parent: null }],
      ['another app host', { url: 'app://evil/', parent: null }],
      ['a destroyed frame', null],
    ])('refuses %s and logs it', (_name, frame) => {
      const before = window.webContents.sent.length;
      const coreBefore = connects().length;
      warn.mockClear();
      connect(window.webContents, frame);
      expect(window.webContents.sent).toHaveLength(before);
      expect(connects()).toHaveLength(coreBefore);
      expect(warn).toHaveBeenCalledWith(expect.stringMatching(/refused a core connection/));
    });

    it('refuses a trusted-looking frame in some other web contents', () => {
      const other = new fake.FakeWebContents();
      connect(other, { url: 'app://enclave/', parent: null });
      expect(other.sent).toHaveLength(0);
    });

    it('answers keyring requests with a refusal when only basic_text exists', async () => {
      child().emit('message', { type: 'keyring.encrypt', id: 7, data: 'c2VjcmV0' });
      await settle();
      expect(child().posted.at(-1)?.message).toEqual({
        type: 'keyring.result',
        id: 7,
        ok: false,
        error: 'no OS keyring (backend basic_text)',
      });
    });

    it('restarts a crashed core, resends start and reloads the window so it reconnects', () => {
      const first = child();
      const reloads = window.webContents.reloads;
      first.emit('exit', 9);
      expect(fake.state.children.at(-1)).not.toBe(first);
      expect(child().posted[0]?.message.type).toBe('start');
      expect(window.webContents.reloads).toBe(reloads + 1);
      expect(fake.module.dialog.showErrorBox).not.toHaveBeenCalled();
    });

    it('stops the core when the app quits', () => {
      fake.module.app.emit('will-quit');
      expect(child().killed).toBe(true);
    });
  });
});

describe('application menu', () => {
  type Item = { role?: string; label?: string; submenu?: Item[] };
  const flatten = (items: Item[]): Item[] => items.flatMap((i) => [i, ...flatten(i.submenu ?? [])]);
  const menuItems = async (devtools: boolean) => {
    const { buildMenu } = await import('../../electron/main/menu');
    return flatten((buildMenu(devtools) as unknown as { template: Item[] }).template);
  };

  it('offers DevTools only when unpackaged', async () => {
    expect((await menuItems(false)).some((i) => i.role === 'toggleDevTools')).toBe(false);
    expect((await menuItems(true)).some((i) => i.role === 'toggleDevTools')).toBe(true);
  });

  it('has File > Quit, View > Reload and zoom, Help > About', async () => {
    const items = await menuItems(false);
    for (const role of ['quit', 'reload', 'resetZoom', 'zoomIn', 'zoomOut']) {
      expect(
        items.some((i) => i.role === role),
        role,
      ).toBe(true);
    }
    expect(items.some((i) => i.label === 'About Enclave Console')).toBe(true);
  });
});

describe('CoreProcess with a real keyring', () => {
  it('reports the keyring, seals and opens blobs, and gives up with a clear error after repeated crashes', async () => {
    fake.state.keyringBackend = 'gnome_libsecret';
    const { CoreProcess } = await import('../../electron/main/core-process');
    const onFatal = vi.fn();
    const onRestarted = vi.fn();
    const core = new CoreProcess({ modulePath: '/x/core-process.mjs', dataDir: '/d', onFatal, onRestarted });
    const error = vi.spyOn(console, 'error').mockImplementation(() => {});
    await core.start();
    const child = () => fake.state.children.at(-1)!;
    expect(child().posted[0]?.message).toEqual({
      type: 'start',
      dataDir: '/d',
      keyring: { available: true, backend: 'gnome_libsecret' },
    });

    child().emit('message', { type: 'keyring.encrypt', id: 1, data: 'c2VjcmV0' });
    await settle();
    const sealed = child().posted.at(-1)?.message;
    expect(sealed).toEqual({
      type: 'keyring.result',
      id: 1,
      ok: true,
      data: Buffer.from('sealed:c2VjcmV0').toString('base64'),
    });
    child().emit('message', { type: 'keyring.decrypt', id: 2, data: sealed?.data });
    await settle();
    expect(child().posted.at(-1)?.message).toEqual({
      type: 'keyring.result',
      id: 2,
      ok: true,
      data: 'c2VjcmV0',
    });

    for (let i = 0; i < 3; i++) child().emit('exit', 1);
    expect(onRestarted).toHaveBeenCalledTimes(3);
    expect(onFatal).not.toHaveBeenCalled();
    child().emit('exit', 1);
    expect(onFatal).toHaveBeenCalledWith(expect.stringMatching(/stopped unexpectedly \(exit code 1\)/));
    error.mockRestore();
  });

  it('never delivers a keyring answer to a core restarted in the meantime', async () => {
    fake.state.keyringBackend = 'gnome_libsecret';
    const { CoreProcess } = await import('../../electron/main/core-process');
    const core = new CoreProcess({
      modulePath: '/x/core-process.mjs',
      dataDir: '/d',
      onFatal: vi.fn(),
      onRestarted: vi.fn(),
    });
    const error = vi.spyOn(console, 'error').mockImplementation(() => {});
    await core.start();
    const old = fake.state.children.at(-1)!;
    old.emit('message', { type: 'keyring.encrypt', id: 1, data: 'c2VjcmV0' });
    old.emit('exit', 1); // before the (async) encryption finishes
    await settle();
    const fresh = fake.state.children.at(-1)!;
    expect(fresh).not.toBe(old);
    expect(fresh.posted.map((p) => p.message.type)).toEqual(['start']);
    expect(old.posted.map((p) => p.message.type)).toEqual(['start']);
    error.mockRestore();
  });

  it('holds a connection made before the core exists until the core is ready', async () => {
    const { CoreProcess } = await import('../../electron/main/core-process');
    const core = new CoreProcess({
      modulePath: '/x/core-process.mjs',
      dataDir: '/d',
      onFatal: vi.fn(),
      onRestarted: vi.fn(),
    });
    const port = { name: 'early' };
    core.connect(port as never, 'app://enclave');
    await core.start();
    const child = fake.state.children.at(-1)!;
    expect(child.posted.map((p) => p.message.type)).toEqual(['start']);
    child.emit('message', { type: 'ready' });
    await settle();
    expect(child.posted.at(-1)).toEqual({
      message: { type: 'connect', origin: 'app://enclave' },
      transfer: [port],
    });
  });

  it('does not restart after the core reports a fatal error', async () => {
    const { CoreProcess } = await import('../../electron/main/core-process');
    const onFatal = vi.fn();
    const onRestarted = vi.fn();
    const core = new CoreProcess({ modulePath: '/x/core-process.mjs', dataDir: '/d', onFatal, onRestarted });
    await core.start();
    const child = fake.state.children.at(-1)!;
    child.emit('message', { type: 'fatal', message: 'database is locked by another console' });
    await settle();
    child.emit('exit', 1);
    expect(onFatal).toHaveBeenCalledWith('database is locked by another console');
    expect(onRestarted).not.toHaveBeenCalled();
    expect(fake.state.children.at(-1)).toBe(child);
  });
});

describe('app:// protocol handler', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'enclave-proto-'));
  const root = path.join(dir, 'renderer');
  let handle: (request: Request) => Promise<Response>;

  beforeAll(async () => {
    mkdirSync(path.join(root, 'assets'), { recursive: true });
    writeFileSync(path.join(root, 'index.html'), '<!doctype html><title>Enclave</title>');
    writeFileSync(path.join(root, 'assets', 'app.js'), 'console.log(1)');
    writeFileSync(path.join(dir, 'secret.txt'), 'outside the root');
    symlinkSync(path.join(dir, 'secret.txt'), path.join(root, 'assets', 'leak.txt'));
    const { serveRenderer } = await import('../../electron/main/protocol');
    const session = new fake.FakeSession();
    serveRenderer(session as never, root);
    handle = session.protocolHandler!;
  });

  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it.each([
    ['app://enclave/', 200, 'text/html; charset=utf-8', '<!doctype html><title>Enclave</title>'],
    ['app://enclave/hosts/3', 200, 'text/html; charset=utf-8', '<!doctype html><title>Enclave</title>'],
    ['app://enclave/assets/app.js', 200, 'text/javascript; charset=utf-8', 'console.log(1)'],
    ['app://enclave/assets/missing.js', 404, 'text/plain; charset=utf-8', 'not found'],
    ['app://enclave/../secret.txt', 404, 'text/plain; charset=utf-8', 'not found'],
    ['app://enclave/..%2fsecret.txt', 403, 'text/plain; charset=utf-8', 'forbidden'],
    ['app://enclave/assets/leak.txt', 403, 'text/plain; charset=utf-8', 'forbidden'],
    ['app://evil/index.html', 403, 'text/plain; charset=utf-8', 'forbidden'],
  ])('GET %s -> %i', async (url, status, type, body) => {
    const response = await handle(new Request(url));
    expect(response.status).toBe(status);
    expect(response.headers.get('content-type')).toBe(type);
    expect(response.headers.get('content-security-policy')).toBe(CONTENT_SECURITY_POLICY);
    expect(response.headers.get('x-content-type-options')).toBe('nosniff');
    expect(await response.text()).toBe(body);
  });

  it('refuses methods other than GET and HEAD; HEAD has no body', async () => {
    expect((await handle(new Request('app://enclave/', { method: 'POST', body: 'x' }))).status).toBe(405);
    const head = await handle(new Request('app://enclave/', { method: 'HEAD' }));
    expect(head.status).toBe(200);
    expect(await head.text()).toBe('');
  });
});
