/**
 * Composition root of the Electron shell: lifecycle, the window, the menu and the wiring between
 * the renderer and the core's utilityProcess. Product logic lives in electron/core; the security
 * rules are pure functions in ./policy so they are unit-tested without Electron.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { app, dialog, ipcMain, Menu, MessageChannelMain, session, type BrowserWindow } from 'electron';
import {
  clearPendingUpgrade,
  decideFromDataDir,
  detectPackaging,
  replaceAppImage,
} from '../core/bundles/console-upgrade';
import { ensureDataDir, resolveDataDir } from '../core/store/data-dir';
import { CoreProcess } from './core-process';
import { buildMenu } from './menu';
import { APP_ORIGIN, dataDirArgument, isTrustedSender } from './policy';
import { registerAppScheme, serveRenderer } from './protocol';
import { createMainWindow, hardenAllWebContents, hardenSession } from './window';

// This file is bundled to out/node/electron-main.mjs; everything else it needs sits beside it.
const outNode = path.dirname(fileURLToPath(import.meta.url));
const RENDERER_ROOT = path.join(outNode, '..', 'renderer');
const PRELOAD = path.join(outNode, '..', 'preload', 'preload.cjs');
const CORE_MODULE = path.join(outNode, 'core-process.mjs');
const devtools = !app.isPackaged;

function dataDirOrExit(): string {
  try {
    const dir = resolveDataDir(dataDirArgument(process.argv.slice(1)));
    ensureDataDir(dir);
    return dir;
  } catch (error) {
    console.error(`enclave-console: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(2);
  }
}

const dataDir = dataDirOrExit();
// Chromium's own files stay under the data dir. Set before the single-instance lock, which is
// keyed on userData: two consoles on two data dirs may run side by side, never two on one.
app.setPath('userData', path.join(dataDir, 'electron'));

// Chromium features that contact Google or other hosts on their own; the enclave has no such hosts.
app.commandLine.appendSwitch('disable-background-networking');
app.commandLine.appendSwitch('disable-component-update');
app.commandLine.appendSwitch('disable-domain-reliability');
app.commandLine.appendSwitch('no-pings');
app.commandLine.appendSwitch('disable-http-cache');

app.enableSandbox();
registerAppScheme();
hardenAllWebContents();

let mainWindow: BrowserWindow | null = null;

function fatal(title: string, message: string): void {
  dialog.showErrorBox(title, `${message}\n\nData directory: ${dataDir}`);
  app.exit(1);
}

const core = new CoreProcess({
  modulePath: CORE_MODULE,
  dataDir,
  onRestarted: () => mainWindow?.webContents.reload(),
  onFatal: (message) => fatal('Enclave Console cannot continue', message),
});

// The renderer asks for its end of a MessageChannel; only our window's top frame on app://enclave
// gets one. Main never reads the envelopes that then flow between renderer and core.
ipcMain.on('enclave:connect', (event) => {
  if (mainWindow === null || event.sender !== mainWindow.webContents || !isTrustedSender(event.senderFrame)) {
    console.warn(`[enclave] refused a core connection from ${event.senderFrame?.url ?? 'an unknown frame'}`);
    return;
  }
  const { port1, port2 } = new MessageChannelMain();
  core.connect(port1, APP_ORIGIN);
  event.sender.postMessage('enclave:port', null, [port2]);
});

/**
 * A console upgrade staged from a verified bundle (electron/core/bundles/console-upgrade.ts): an
 * AppImage is replaced and relaunched before anything else starts. True when this process is done.
 */
function applyStagedUpgrade(): boolean {
  const packaging = detectPackaging({
    isPackaged: app.isPackaged,
    env: process.env,
    execPath: process.execPath,
  });
  const decision = decideFromDataDir(dataDir, __ENCLAVE_VERSION__, packaging);
  if (decision.action === 'replace-appimage') {
    try {
      replaceAppImage(dataDir, decision);
      app.relaunch();
      app.exit(0);
      return true;
    } catch (error) {
      // The old console keeps running; the pending mark makes the next start report it failed.
      console.error(`[enclave] the staged upgrade to ${decision.version} could not be installed:`, error);
    }
  }
  if (decision.action === 'finish' || decision.action === 'failed') clearPendingUpgrade(dataDir);
  return false;
}

async function start(): Promise<void> {
  await app.whenReady();
  if (applyStagedUpgrade()) return;
  hardenSession(session.defaultSession, { devtools });
  serveRenderer(session.defaultSession, RENDERER_ROOT);
  Menu.setApplicationMenu(buildMenu(devtools));
  // The window first: its connect request waits in CoreProcess until the core is ready.
  mainWindow = createMainWindow(PRELOAD, devtools);
  mainWindow.on('closed', () => (mainWindow = null));
  await core.start();
}

if (!app.requestSingleInstanceLock()) {
  console.error(`enclave-console: already running on ${dataDir}`);
  app.quit();
} else {
  app.on('second-instance', () => {
    if (mainWindow?.isMinimized()) mainWindow.restore();
    mainWindow?.focus();
  });
  app.on('window-all-closed', () => app.quit());
  app.on('will-quit', () => core.stop());
  start().catch((error: unknown) =>
    fatal(
      'Enclave Console failed to start',
      error instanceof Error ? (error.stack ?? error.message) : String(error),
    ),
  );
}
