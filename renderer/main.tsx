// Global styles first, so each feature's own stylesheet (imported with its page) comes later in the cascade.
import './app/styles/tokens.css';
import './app/styles/base.css';
import './ui/ui.css';
import './app/styles/frame.css';
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './app/App';
import { ConnectionProvider, CoreConnection } from './app/connection';
import { applyTheme } from './app/theme';
import { takeHarnessToken } from './app/transport';

applyTheme();
// Read (and hide) the harness token before anything renders or routes on the hash.
takeHarnessToken();
const connection = new CoreConnection();
connection.connect();
// Pasting a fresh `enclave serve` URL into this tab changes only the hash: connect with the new token.
window.addEventListener('hashchange', () => {
  if (!/token=/.test(location.hash)) return;
  takeHarnessToken();
  connection.connect();
});

const root = document.getElementById('root');
if (!root) throw new Error('index.html has no #root element');
createRoot(root).render(
  <StrictMode>
    <ConnectionProvider connection={connection}>
      <App />
    </ConnectionProvider>
  </StrictMode>,
);
