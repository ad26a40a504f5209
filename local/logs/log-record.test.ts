import { LOG_COLUMN_NAMES } from '../../sql/log-columns';
import { buildLogRecord, encodeLogField, newEdgeRequestId, type ServedRequest } from './log-record';

const base: ServedRequest = {
  startedMs: Date.parse('2026-11-30T23:59:59.950Z'),
  finishedMs: Date.parse('2026-12-01T00:00:00.020Z'),
  edgeLocation: 'LCL1-C1',
  clientIp: '127.0.0.1',
  method: 'GET',
  path: '/example',
  status: 200,
  userAgent: 'curl/8.5.0 (x86_64) "quoted"',
  viewerQuery: 'a=1&apikey_fp=ffffffffffffffff',
  logData: '0123456789abcdef',
  edgeRequestId: 'id-1',
  host: '127.0.0.1:3000',
  protocol: 'http',
  requestBytes: 120,
  responseBytes: 450,
  contentType: 'application/json',
  result: 'origin',
};

test('every delivered column, in order, all strings; date and time from the finish time in UTC', () => {
  const record = buildLogRecord(base);
  expect(Object.keys(record)).toEqual(LOG_COLUMN_NAMES);
  for (const value of Object.values(record)) expect(typeof value).toBe('string');
  expect(record).toMatchObject({
    date: '2026-12-01',
    time: '00:00:00',
    sc_bytes: '450',
    cs_bytes: '120',
    sc_status: '200',
    cs_uri_query: 'a=1&apikey_fp=ffffffffffffffff',
    viewer_request_log_data: '0123456789abcdef',
    x_edge_result_type: 'Miss',
    x_edge_detailed_result_type: 'Miss',
    time_taken: '0.070',
    cs_User_Agent: 'curl/8.5.0%20(x86_64)%20%22quoted%22',
  });
});

test("'-' for empty fields; result types for errors, function responses and aborted requests", () => {
  const empty = buildLogRecord({ ...base, viewerQuery: '', logData: '-', userAgent: undefined, contentType: undefined, host: undefined });
  expect(empty).toMatchObject({ cs_uri_query: '-', viewer_request_log_data: '-', cs_User_Agent: '-', sc_content_type: '-', x_host_header: '-' });
  expect(buildLogRecord({ ...base, status: 429 })).toMatchObject({ x_edge_result_type: 'Error', x_edge_detailed_result_type: 'Error' });
  expect(buildLogRecord({ ...base, status: 403, result: 'function' })).toMatchObject({
    sc_status: '403',
    x_edge_result_type: 'FunctionGeneratedResponse',
    x_edge_detailed_result_type: 'FunctionGeneratedResponse',
  });
  expect(buildLogRecord({ ...base, result: 'aborted' })).toMatchObject({ sc_status: '000', x_edge_detailed_result_type: 'ClientCommError' });
});

test('URL-encoding of log fields follows the standard-log table; request ids are unique 56-character ids', () => {
  expect(encodeLogField('a b\t<>"#%{}|\\^~[]`\'é')).toBe('a%20b%09%3C%3E%22%23%25%7B%7D%7C%5C%5E%7E%5B%5D%60%27%C3%A9');
  expect(encodeLogField('Mozilla/5.0 (X11; Linux)')).toBe('Mozilla/5.0%20(X11;%20Linux)');
  const ids = new Set(Array.from({ length: 1000 }, newEdgeRequestId));
  expect(ids.size).toBe(1000);
  for (const id of ids) expect(id).toMatch(/^[A-Za-z0-9_-]{56}$/);
});
