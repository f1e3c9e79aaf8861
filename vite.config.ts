import react from '@vitejs/plugin-react';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

// The renderer is a static bundle served from the app's own files (Electron) or by
// `enclave serve`: relative asset URLs, no inline scripts, so the page's strict CSP holds.
export default defineConfig({
  root: fileURLToPath(new URL('./renderer', import.meta.url)),
  base: './',
  plugins: [react()],
  build: {
    outDir: '../out/renderer',
    emptyOutDir: true,
    // Chromium supports modulepreload natively; the polyfill would be dead weight.
    modulePreload: { polyfill: false },
    // Served from local files, never over a network: the main chunk (React, zod, the contract) is
    // ~0.5 MB and that is fine; xterm.js is split out and loaded with the host detail.
    chunkSizeWarningLimit: 800,
  },
});
