// The layer rules of design.md §2, enforced as a lint error (the way VS Code's
// `code-import-patterns` rule keeps its layers apart).
//
//   shared <- offline-bundles <- electron/core <- electron/{main,server,cli}
//   shared <- renderer;   shared <- electron/preload
//
// Relative imports are resolved against the importing file, so `../core/x`
// from electron/main is seen as electron/core. Bare imports are checked too:
// only the shell may import 'electron', and shared/renderer/preload may not
// import Node built-ins or Node-only packages.
import { builtinModules } from 'node:module';
import path from 'node:path';

const ROOT = path.resolve(import.meta.dirname, '..', '..');

/** Layer of a repo-relative path, or undefined for unrestricted code (tests, benches, build). */
export function layerOf(relativePath) {
  const p = relativePath.split(path.sep).join('/');
  const under = (dir) => p === dir || p.startsWith(`${dir}/`);
  if (under('shared')) return 'shared';
  if (under('offline-bundles')) return 'offline-bundles';
  if (under('electron/core')) return 'core';
  if (under('electron/main')) return 'main';
  if (under('electron/preload')) return 'preload';
  if (under('electron/server')) return 'server';
  if (under('electron/cli')) return 'cli';
  if (under('renderer')) return 'renderer';
  return undefined;
}

/** Which layers each layer may import from. */
export const ALLOWED = {
  shared: ['shared'],
  'offline-bundles': ['shared', 'offline-bundles'],
  core: ['shared', 'offline-bundles', 'core'],
  main: ['shared', 'core', 'main'],
  preload: ['shared', 'preload'],
  server: ['shared', 'offline-bundles', 'core', 'server'],
  cli: ['shared', 'offline-bundles', 'core', 'server', 'cli'],
  renderer: ['shared', 'renderer'],
};

const ELECTRON_ALLOWED = new Set(['main', 'preload']);
const NO_NODE = new Set(['shared', 'renderer', 'preload']);
/** Packages that only run in Node; they must never reach shared/ or the renderer. */
const NODE_ONLY_PACKAGES = ['better-sqlite3', 'ws', 'ssh2', '@kubernetes/client-node', 'tar', 'zstd-napi'];
const BUILTINS = new Set(builtinModules);

function packageName(specifier) {
  const parts = specifier.split('/');
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0];
}

/** Returns a message when `from` (a layer) may not import `specifier`, else undefined. */
export function checkImport(fromFile, specifier) {
  const fromLayer = layerOf(path.relative(ROOT, fromFile));
  if (!fromLayer) return undefined;
  if (specifier.startsWith('.') || specifier.startsWith('/')) {
    const target = path.relative(ROOT, path.resolve(path.dirname(fromFile), specifier));
    const toLayer = layerOf(target);
    if (!toLayer) {
      return target.startsWith('..') || target.startsWith('node_modules')
        ? `${fromLayer} may not import files outside the project's layers ("${specifier}")`
        : undefined;
    }
    if (!ALLOWED[fromLayer].includes(toLayer)) {
      return `${fromLayer} may not import ${toLayer} ("${specifier}"); allowed: ${ALLOWED[fromLayer].join(', ')} (design.md §2)`;
    }
    return undefined;
  }
  const name = packageName(specifier);
  if (name === 'electron' && !ELECTRON_ALLOWED.has(fromLayer)) {
    return `only electron/main and electron/preload may import 'electron' (this is ${fromLayer}); put the logic in core behind an interface`;
  }
  if (NO_NODE.has(fromLayer) && (specifier.startsWith('node:') || BUILTINS.has(name))) {
    return `${fromLayer} runs without Node: it may not import the Node built-in '${specifier}'`;
  }
  if (NO_NODE.has(fromLayer) && NODE_ONLY_PACKAGES.includes(name)) {
    return `${fromLayer} may not import the Node-only package '${name}'`;
  }
  return undefined;
}

const rule = {
  meta: {
    type: 'problem',
    docs: { description: 'Enforce the layer rules of design.md §2' },
    schema: [],
  },
  create(context) {
    const file = context.filename;
    function check(node, source) {
      if (!source || typeof source.value !== 'string') return;
      const message = checkImport(file, source.value);
      if (message) context.report({ node: source, message });
    }
    return {
      ImportDeclaration: (node) => check(node, node.source),
      ExportNamedDeclaration: (node) => check(node, node.source),
      ExportAllDeclaration: (node) => check(node, node.source),
      ImportExpression: (node) => check(node, node.source),
      CallExpression(node) {
        if (
          node.callee.type === 'Identifier' &&
          node.callee.name === 'require' &&
          node.arguments[0]?.type === 'Literal'
        ) {
          check(node, node.arguments[0]);
        }
      },
    };
  },
};

export default { rules: { layers: rule } };
