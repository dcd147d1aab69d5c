import { build } from 'esbuild';
import { describe, expect, it } from 'vitest';

describe('Cloudflare Workers entry', () => {
  it('bundles for a runtime without Node built-ins', async () => {
    const result = await build({
      entryPoints: ['src/entry/worker.ts'],
      bundle: true,
      write: false,
      minify: true,
      platform: 'neutral',
      format: 'esm',
      target: 'es2022',
      mainFields: ['module', 'main'],
      conditions: ['worker', 'browser', 'import'],
      logLevel: 'silent',
      jsx: 'automatic',
      jsxImportSource: 'hono/jsx',
    });
    expect(result.errors).toEqual([]);
    const code = result.outputFiles[0]?.text ?? '';
    expect(code).not.toMatch(/from ["']node:/);
    expect(code).toContain('sanh-state');
    expect(code).toContain('/_sanh');
    expect(code.length).toBeLessThan(1_000_000);
  });
});
