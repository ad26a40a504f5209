import { stripeSinkConfigError, type StripeSinkConfig } from './stripe-sink';

const TEST_CONFIG: StripeSinkConfig = {
  requestsEventName: 'api_requests',
  bytesEventName: 'api_bytes_out',
  requestsMeterId: 'mtr_requests',
  bytesMeterId: 'mtr_bytes',
  invoiceGraceHours: 24,
  apiKeySecretName: 'usage/stripe-api-key',
};

describe('stripeSinkConfigError', () => {
  test('a complete config passes; meter ids are optional together', () => {
    expect(stripeSinkConfigError(TEST_CONFIG)).toBeUndefined();
    expect(stripeSinkConfigError({ ...TEST_CONFIG, requestsMeterId: undefined, bytesMeterId: undefined })).toBeUndefined();
  });
  test.each([
    [{ requestsEventName: '' }, /requestsEventName must be a meter's event_name/],
    [{ bytesEventName: 'x'.repeat(101) }, /bytesEventName must be a meter's event_name \(1 to 100/],
    [{ bytesEventName: TEST_CONFIG.requestsEventName }, /must name two meters/],
    [{ requestsMeterId: 'meter-1' }, /requestsMeterId must be a meter id \(mtr_…\), got "meter-1"/],
    [{ bytesMeterId: undefined }, /go together/],
    [{ invoiceGraceHours: 73 }, /from 0 to 72/],
    [{ invoiceGraceHours: 1.5 }, /whole number of hours/],
    [{ apiKeySecretName: '' }, /apiKeySecretName must name/],
    [{ maxCallsPerSecond: 1001 }, /at most 1000/],
  ])('%j is refused in one line', (change, message) => {
    const error = stripeSinkConfigError({ ...TEST_CONFIG, ...change });
    expect(error).toMatch(message);
    expect(error).not.toContain('\n');
  });
});
