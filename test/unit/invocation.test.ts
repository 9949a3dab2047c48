import { describe, expect, it } from 'vitest';
import { parseInvocation } from '../../src/plugin/invocation.js';

describe('parseInvocation', () => {
  it('strips the plugin name when docker ran us', () => {
    expect(parseInvocation(['tidy', 'df', '--json'])).toMatchObject({ kind: 'run', args: ['df', '--json'], globals: { argv: [] } });
  });

  it('takes docker global options in both forms and keeps them unchanged', () => {
    const inv = parseInvocation(['--context', 'tidy', '-H=unix:///x.sock', '--config=/c', '-D', '--tlsverify', 'tidy', 'df']);
    expect(inv.kind).toBe('run');
    expect(inv.args).toEqual(['df']);
    expect(inv.globals).toMatchObject({
      argv: ['--context', 'tidy', '-H=unix:///x.sock', '--config=/c', '-D', '--tlsverify'],
      context: 'tidy',
      host: 'unix:///x.sock',
      config: '/c',
      debug: true,
    });
  });

  it('accepts shorthand with the value attached', () => {
    expect(parseInvocation(['-cfoo', '-l', 'debug', 'tidy', 'df']).globals).toMatchObject({ context: 'foo', argv: ['-cfoo', '-l', 'debug'] });
  });

  it('runs standalone without the plugin name', () => {
    expect(parseInvocation(['df', '-v'])).toMatchObject({ kind: 'run', args: ['df', '-v'] });
  });

  it('recognises docker help tidy and completion requests', () => {
    expect(parseInvocation(['help', 'tidy', 'df'])).toMatchObject({ kind: 'help', args: ['df'] });
    expect(parseInvocation(['__complete', 'tidy', 'df', '--j'])).toMatchObject({ kind: 'complete', args: ['df', '--j'], descriptions: true });
    expect(parseInvocation(['__completeNoDesc', ''])).toMatchObject({ kind: 'complete', args: [''], descriptions: false });
  });

  it('rejects a global option without its value', () => {
    expect(() => parseInvocation(['--context'])).toThrow(/flag needs an argument/);
  });
});
