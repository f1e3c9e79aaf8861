import type { EnvelopeChannel } from '../../shared/client';

/** What the Electron preload puts on `window.enclave`: envelopes in, envelopes out, nothing else. */
interface PreloadBridge {
  postEnvelope(text: string): void;
  onEnvelope(receive: (text: string) => void): () => void;
}

export type LinkState =
  | { status: 'connecting' }
  | { status: 'open' }
  /**
   * The socket closed. `everOpened` tells a lost connection from one that never came
   * up; `refused` means the core turned this page's token away.
   */
  | { status: 'closed'; everOpened: boolean; refused: boolean }
  /** The harness page was opened without its token (e.g. typed by hand). */
  | { status: 'missing-token' };

export interface Link {
  channel: EnvelopeChannel;
  close(): void;
}

const TOKEN_KEY = 'enclave.harness-token';
/** The close code `enclave serve` uses for a missing or wrong token. */
const TOKEN_REFUSED = 4401;

function preloadBridge(): PreloadBridge | undefined {
  const candidate = (window as Window & { enclave?: PreloadBridge }).enclave;
  return candidate && typeof candidate.postEnvelope === 'function' ? candidate : undefined;
}

/**
 * The harness token arrives once in the address (`#token=…`). It is kept in
 * sessionStorage so a reload still works, and removed from the address bar so it
 * does not end up in screenshots or shoulder-surfing.
 */
export function takeHarnessToken(): string | null {
  const match = /(?:^#|&)token=([A-Za-z0-9_-]+)/.exec(location.hash);
  if (match?.[1]) {
    sessionStorage.setItem(TOKEN_KEY, match[1]);
    history.replaceState(null, '', location.pathname + location.search);
  }
  return sessionStorage.getItem(TOKEN_KEY);
}

/**
 * Opens the envelope channel to the console core: the preload bridge inside
 * Electron, otherwise the token-protected loopback WebSocket of `enclave serve`.
 * Returns null when there is no way to connect (harness page without a token).
 */
export function openLink(onState: (state: LinkState) => void): Link | null {
  const bridge = preloadBridge();
  if (bridge) {
    onState({ status: 'open' });
    return {
      channel: {
        send: (text) => bridge.postEnvelope(text),
        onMessage: (receive) => bridge.onEnvelope(receive),
      },
      close: () => {},
    };
  }
  const token = sessionStorage.getItem(TOKEN_KEY);
  if (!token) {
    onState({ status: 'missing-token' });
    return null;
  }
  return openSocket(token, onState);
}

function openSocket(token: string, onState: (state: LinkState) => void): Link {
  const socket = new WebSocket(`ws://${location.host}/rpc`, ['enclave.v1', `enclave-token.${token}`]);
  const receivers = new Set<(text: string) => void>();
  // Calls made while the socket is still connecting wait here instead of throwing.
  const queued: string[] = [];
  let everOpened = false;
  onState({ status: 'connecting' });

  socket.addEventListener('open', () => {
    everOpened = true;
    for (const text of queued.splice(0)) socket.send(text);
    onState({ status: 'open' });
  });
  socket.addEventListener('message', (event) => {
    if (typeof event.data !== 'string') return;
    for (const receive of receivers) receive(event.data);
  });
  socket.addEventListener('close', (event) => {
    onState({ status: 'closed', everOpened, refused: event.code === TOKEN_REFUSED });
  });

  return {
    channel: {
      send(text) {
        if (socket.readyState === WebSocket.CONNECTING) queued.push(text);
        else if (socket.readyState === WebSocket.OPEN) socket.send(text);
      },
      onMessage(receive) {
        receivers.add(receive);
        return () => receivers.delete(receive);
      },
    },
    close: () => socket.close(1000, 'closed by the console window'),
  };
}
