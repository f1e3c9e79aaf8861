import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

/**
 * The repository keeps its own copy of reference data it builds from, so a fresh
 * clone builds without ../shared. Where ../shared is beside the checkout (the
 * developers' machines, CI), the copy must not have drifted from it.
 */
const root = path.resolve(import.meta.dirname, '../..');
// [copy, reference, a top-level key the copy must have when there is no reference to compare]
const COPIES: [string, string, string][] = [
  ['shared/mig/catalog/mig-profiles.json', '../shared/reference/mig-profiles.json', 'gpus'],
  [
    'electron/core/tenants/openapi/api__v1_openapi.json',
    '../shared/reference/k8s-openapi/api__v1_openapi.json',
    'components',
  ],
  [
    'electron/core/tenants/openapi/apis__networking.k8s.io__v1_openapi.json',
    '../shared/reference/k8s-openapi/apis__networking.k8s.io__v1_openapi.json',
    'components',
  ],
  [
    'electron/core/tenants/openapi/apis__node.k8s.io__v1_openapi.json',
    '../shared/reference/k8s-openapi/apis__node.k8s.io__v1_openapi.json',
    'components',
  ],
  [
    'electron/core/tenants/openapi/apis__rbac.authorization.k8s.io__v1_openapi.json',
    '../shared/reference/k8s-openapi/apis__rbac.authorization.k8s.io__v1_openapi.json',
    'components',
  ],
];

describe('reference data copies', () => {
  for (const [copy, reference, key] of COPIES) {
    const source = path.resolve(root, reference);
    it(`${copy} equals ${reference}${existsSync(source) ? '' : ' (not checked here: no ../shared beside the checkout)'}`, () => {
      if (!existsSync(source)) {
        console.log(`reference-copies: ${reference} is not beside this checkout; the copy is used as it is`);
        expect(JSON.parse(readFileSync(path.resolve(root, copy), 'utf8'))).toHaveProperty(key);
        return;
      }
      expect(readFileSync(path.resolve(root, copy), 'utf8')).toBe(readFileSync(source, 'utf8'));
    });
  }
});
