import { describe, expect, it } from 'vitest';
import { renderTable } from '../../src/render/table.js';
import { sanitize, sanitizeLines } from '../../src/render/text.js';

describe('terminal output', () => {
  it('shows control characters (terminal escapes) as "?" in table cells', () => {
    const out = renderTable(['NAME'], [['\u001b[2Jevil\u0007'], ['bell\u009b']]);
    expect(out).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/);
    expect(out).toContain('?[2Jevil?');
    expect(out).toContain('bell?');
  });

  it('keeps line breaks in several-line text and nothing else', () => {
    expect(sanitizeLines('failed: a\u001b]0;title\u0007\nsecond\r line')).toBe('failed: a?]0;title?\nsecond? line');
    expect(sanitize('plain text: 1.5MB (ok)')).toBe('plain text: 1.5MB (ok)');
  });
});
