/** The shared name rules accept and refuse what the configuration and the usage job both expect. */
import { KEY_ID, MAX_KEY_ID_LENGTH, NAME, REGION } from './name-rules';

test('key ids: lowercase letters, digits and single inner dashes, at most 64 characters', () => {
  for (const ok of ['acme', 'acme-dev', '1st-customer', 'a'.repeat(MAX_KEY_ID_LENGTH)]) expect([ok, KEY_ID.test(ok)]).toEqual([ok, true]);
  for (const bad of ['', 'Acme', 'acme-', '-acme', 'ac--me', 'a'.repeat(MAX_KEY_ID_LENGTH + 1), 'acme_dev'])
    expect([bad, KEY_ID.test(bad)]).toEqual([bad, false]);
});

test('names start with a letter; regions look like AWS Region codes', () => {
  expect(NAME.test('dev')).toBe(true);
  expect(NAME.test('1dev')).toBe(false);
  for (const ok of ['eu-west-1', 'us-gov-west-1', 'ap-southeast-4']) expect([ok, REGION.test(ok)]).toEqual([ok, true]);
  for (const bad of ['eu-west', 'EU-WEST-1', 'eu-west-1a']) expect([bad, REGION.test(bad)]).toEqual([bad, false]);
});
