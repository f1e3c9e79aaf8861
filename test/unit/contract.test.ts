import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  api,
  defineApi,
  procedure,
  redact,
  REDACTED,
  secret,
  isSecret,
  SECRET_NAME,
  type AnyProcedure,
} from '../../shared/api';
import { paletteProcedures } from '../../shared/client';

const all = Object.values(api) as AnyProcedure[];

describe('the contract', () => {
  it('refuses a duplicate procedure id', () => {
    const p = procedure({
      id: 'demo.read',
      summary: 'x',
      input: z.object({}),
      output: z.null(),
      roles: ['viewer'],
      audited: false,
      mutates: false,
    });
    expect(() => defineApi([p, p])).toThrow(/declared twice/);
  });

  it('refuses a mutating procedure that is not audited', () => {
    expect(() =>
      procedure({
        id: 'demo.write',
        summary: 'x',
        input: z.object({}),
        output: z.null(),
        roles: ['admin'],
        audited: false,
        mutates: true,
      }),
    ).toThrow(/must be audited/);
  });

  it('declares every procedure with roles, a summary and a capability.verb id', () => {
    for (const p of all) {
      expect(p.id).toMatch(/^[a-z][a-zA-Z]*\.[a-z][a-zA-Z]*$/);
      expect(p.summary.length).toBeGreaterThan(5);
      expect(p.roles === 'public' || p.roles.length > 0).toBe(true);
    }
  });

  it('keeps public procedures to the ones a signed-out window needs', () => {
    const publicIds = all.filter((p) => p.roles === 'public').map((p) => p.id);
    expect(publicIds.sort()).toEqual([
      'session.signIn',
      'session.status',
      'setup.createFirstAdmin',
      'system.info',
    ]);
  });

  it('has no two key bindings alike', () => {
    const bindings = all.flatMap((p) => (p.action?.keybinding ? [p.action.keybinding] : []));
    expect(new Set(bindings).size).toBe(bindings.length);
  });

  it('marks every input field whose name looks secret as secret', () => {
    const unmarked: string[] = [];
    const visit = (schema: z.ZodType, where: string) => {
      let s: z.ZodType = schema;
      while (s instanceof z.ZodOptional || s instanceof z.ZodDefault || s instanceof z.ZodNullable) {
        if (isSecret(s)) return;
        s = s.unwrap() as z.ZodType;
      }
      if (s instanceof z.ZodObject) {
        for (const [key, field] of Object.entries(s.shape as Record<string, z.ZodType>)) {
          // A yes/no is never a secret, whatever its name (redact() keeps booleans too).
          const bare =
            field instanceof z.ZodOptional || field instanceof z.ZodDefault ? field.unwrap() : field;
          if (SECRET_NAME.test(key) && !isSecret(field) && !(bare instanceof z.ZodBoolean))
            unmarked.push(`${where}.${key}`);
          visit(field, `${where}.${key}`);
        }
      }
    };
    for (const p of all) visit(p.input, p.id);
    expect(unmarked).toEqual([]);
  });

  it('lists palette entries only for roles that may run them', () => {
    const forViewer = paletteProcedures(['viewer']).map((p) => p.id);
    expect(forViewer).toContain('session.signOut');
    expect(forViewer).not.toContain('operators.create');
    expect(forViewer).not.toContain('system.selfCheck');
    expect(paletteProcedures(['admin']).map((p) => p.id)).toContain('operators.create');
  });
});

describe('redaction', () => {
  const schema = z.object({
    operator: z.string(),
    passphrase: secret(z.string()),
    nested: z.object({ apiKey: secret(z.string()).optional(), note: z.string() }),
    list: z.array(z.object({ value: secret(z.string()) })),
  });

  it('replaces marked fields, keeps the rest', () => {
    expect(
      redact(schema, {
        operator: 'alice',
        passphrase: 'hunter2hunter2',
        nested: { apiKey: 'k', note: 'n' },
        list: [{ value: 'v' }],
      }),
    ).toEqual({
      operator: 'alice',
      passphrase: REDACTED,
      nested: { apiKey: REDACTED, note: 'n' },
      list: [{ value: REDACTED }],
    });
  });

  it('redacts secret-looking names even without a schema', () => {
    expect(
      redact(undefined, {
        token: 't',
        privateKey: 'p',
        clientSecret: 's',
        pin: '1234',
        name: 'x',
        allowPasswordLogin: true,
      }),
    ).toEqual({
      token: REDACTED,
      privateKey: REDACTED,
      clientSecret: REDACTED,
      pin: REDACTED,
      name: 'x',
      // A yes/no is kept: the ledger must say what a policy change was.
      allowPasswordLogin: true,
    });
  });

  it('cuts very long strings and deep nesting', () => {
    const long = redact(undefined, { note: 'a'.repeat(5000) }) as { note: string };
    expect(long.note.length).toBeLessThan(2100);
    let deep: unknown = 'x';
    for (let i = 0; i < 50; i++) deep = { d: deep };
    expect(JSON.stringify(redact(undefined, deep))).toContain(REDACTED);
  });
});
