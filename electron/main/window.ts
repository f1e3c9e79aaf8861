import { app, BrowserWindow, type Session, type WebContents } from 'electron';
import { APP_ENTRY_URL, isAllowedRequest, isAppOrigin } from './policy';

/**
 * Session-wide denials: every permission, device and download; every request that is not the
 * app's own files. Applied to the default session, which is the only one the window uses.
 */
export function hardenSession(session: Session, options: { devtools: boolean }): void {
  session.setPermissionRequestHandler((_contents, _permission, callback) => callback(false));
  session.setPermissionCheckHandler(() => false);
  session.setDevicePermissionHandler(() => false);
  // No spell-check dictionaries fetched from Google's CDN.
  session.setSpellCheckerEnabled(false);
  session.on('will-download', (event) => event.preventDefault());
  session.webRequest.onBeforeRequest((details, callback) => {
    const allowed = isAllowedRequest(details.url, options);
    if (!allowed) console.warn(`[enclave] blocked request to ${details.url}`);
    callback({ cancel: !allowed });
  });
}

/**
 * Applied to every WebContents the app ever creates (not only our window), so nothing can navigate
 * away from app://enclave, open windows or attach a <webview>.
 */
export function hardenAllWebContents(): void {
  app.on('web-contents-created', (_event, contents: WebContents) => {
    contents.on('will-navigate', (event) => {
      if (!isAppOrigin(event.url)) event.preventDefault();
    });
    contents.on('will-frame-navigate', (event) => {
      if (!isAppOrigin(event.url)) event.preventDefault();
    });
    contents.on('will-redirect', (event) => {
      if (!isAppOrigin(event.url)) event.preventDefault();
    });
    contents.on('will-attach-webview', (event) => event.preventDefault());
    contents.setWindowOpenHandler(() => ({ action: 'deny' }));
  });
}

export function createMainWindow(preload: string, devtools: boolean): BrowserWindow {
  const win = new BrowserWindow({
    width: 1360,
    height: 860,
    minWidth: 960,
    minHeight: 600,
    show: false,
    title: 'Enclave Console',
    webPreferences: {
      preload,
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
      // Middle-click would otherwise try to open links in new windows (denied anyway, see above).
      disableBlinkFeatures: 'Auxclick',
      devTools: devtools,
    },
  });
  win.once('ready-to-show', () => win.show());
  void win.loadURL(APP_ENTRY_URL);
  return win;
}
