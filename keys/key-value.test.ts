import { isWellFormedApiKey } from '../contracts/api-key';
import { generateKeyValue } from './key-value';

describe('generateKeyValue', () => {
  it('gives well-formed 40-character values, all different', () => {
    const values = Array.from({ length: 200 }, generateKeyValue);
    expect(values.every((v) => v.length === 40 && /^[A-Za-z0-9]+$/.test(v) && isWellFormedApiKey(v))).toBe(true);
    expect(new Set(values).size).toBe(200);
  });
});
