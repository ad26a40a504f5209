/** logDataField: the viewer-request-log-data value for what the function passed to logCustomData. */
import fc from 'fast-check';
import { LOG_DATA_MAX_BYTES, logDataField, NO_LOG_DATA } from './log-data';

/** Up to 400 characters that encode to 1, 3, 6, 9 or 12 bytes, lone surrogates included: often over 800. */
const longText = fc.string({ unit: fc.constantFrom('a', '-', ' ', '%', 'é', '日', '😀', '\ud800'), maxLength: 400, size: 'max' });

describe('logDataField', () => {
  it('is "-" when the function did not call logCustomData', () => {
    expect(NO_LOG_DATA).toBe('-');
    expect(logDataField([])).toBe('-');
  });

  it('keeps a fingerprint as it is and URL-encodes everything else', () => {
    expect(logDataField(['03d7613dac02fa10'])).toBe('03d7613dac02fa10');
    expect(logDataField(['a b&c=d/é?%-'])).toBe('a%20b%26c%3Dd%2F%C3%A9%3F%25-');
    expect(logDataField(['\t\n'])).toBe('%09%0A');
    expect(logDataField(['-'])).toBe('-');
  });

  it('takes the last value when called more than once (an assumption, see log-data.ts)', () => {
    expect(logDataField(['first', 'second'])).toBe('second');
  });

  it('writes a lone surrogate as U+FFFD instead of failing', () => {
    expect(logDataField(['a\ud800b'])).toBe('a%EF%BF%BDb');
    expect(logDataField(['\udc00'])).toBe('%EF%BF%BD');
    expect(logDataField(['\ud83d\ude00'])).toBe('%F0%9F%98%80');
  });

  it(`cuts at ${LOG_DATA_MAX_BYTES} bytes without splitting a %XX escape`, () => {
    expect(LOG_DATA_MAX_BYTES).toBe(800);
    expect(logDataField(['a'.repeat(800)])).toBe('a'.repeat(800));
    expect(logDataField(['a'.repeat(801)])).toBe('a'.repeat(800));
    expect(logDataField(['a'.repeat(797) + ' '])).toBe('a'.repeat(797) + '%20');
    expect(logDataField(['a'.repeat(798) + ' '])).toBe('a'.repeat(798));
    expect(logDataField(['a'.repeat(799) + ' '])).toBe('a'.repeat(799));
    expect(logDataField(['a'.repeat(800) + ' '])).toBe('a'.repeat(800));
    expect(logDataField([' '.repeat(300)])).toBe('%20'.repeat(266));
  });

  it('always gives a prefix of the full encoding, at most 800 bytes, ending on a whole escape', () => {
    let cut = 0;
    fc.assert(
      fc.property(fc.oneof(fc.string({ unit: 'grapheme' }), longText), (value) => {
        const wellFormed = value.replace(/\ud800(?![\udc00-\udfff])/g, '\ufffd'); // the only lone surrogate generated
        const full = encodeURIComponent(wellFormed);
        const field = logDataField([value]);
        expect(full.startsWith(field)).toBe(true);
        expect(Buffer.byteLength(field)).toBeLessThanOrEqual(LOG_DATA_MAX_BYTES);
        expect(field).toMatch(/^(?:[^%]|%[0-9A-F]{2})*$/);
        // Only a partial escape is dropped: nothing more than 2 bytes short of the limit.
        expect(field.length).toBeGreaterThanOrEqual(Math.min(full.length, LOG_DATA_MAX_BYTES - 2));
        if (field.length < full.length) cut += 1;
        else expect(decodeURIComponent(field)).toBe(wellFormed);
      }),
      { numRuns: 500 },
    );
    expect(cut).toBeGreaterThan(50);
  });
});
