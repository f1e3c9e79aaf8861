import { app, dialog, Menu, type MenuItemConstructorOptions } from 'electron';

function showAbout(): void {
  const v = process.versions;
  void dialog.showMessageBox({
    type: 'info',
    title: 'About Enclave Console',
    message: `Enclave Console ${app.getVersion()}`,
    detail: `Electron ${v.electron}\nChromium ${v.chrome}\nNode.js ${v.node}\n\nNo telemetry, no automatic updates.`,
    buttons: ['OK'],
  });
}

/** The theme toggle lives in the renderer (it persists the operator's choice), so none here. */
export function buildMenu(devtools: boolean): Menu {
  const view: MenuItemConstructorOptions[] = [
    { role: 'reload' },
    { type: 'separator' },
    { role: 'resetZoom' },
    { role: 'zoomIn' },
    { role: 'zoomOut' },
    { type: 'separator' },
    { role: 'togglefullscreen' },
  ];
  // DevTools only in unpackaged builds; packaged builds also set webPreferences.devTools = false.
  if (devtools) view.push({ type: 'separator' }, { role: 'toggleDevTools' });
  return Menu.buildFromTemplate([
    { label: 'File', submenu: [{ role: 'quit' }] },
    { role: 'editMenu' },
    { label: 'View', submenu: view },
    { label: 'Help', submenu: [{ label: 'About Enclave Console', click: showAbout }] },
  ]);
}
