import cf from 'cloudfront';
// CloudFront Function (runtime cloudfront-js-2.0), viewer request, associated with one
// KeyValueStore. Contract: docs/contracts.md, section "Edge function".
// - answers 403 {"message":"Forbidden"} when x-api-key is missing, sent more than once, or
//   malformed (well-formed: 20 to 128 printable ASCII characters, 0x21-0x7E), logging nothing;
// - otherwise passes cf.logCustomData the key fingerprint (first 16 hex chars of sha256(key)),
//   once, so a rejected well-formed key is still in the billing record (as rejected, never billed);
// - then looks the fingerprint up in the store (contracts/edge-keys.ts): `active`, or
//   `until:<unix seconds>` before that instant, returns the request unchanged; no entry, a passed
//   deadline, any other value, or a failed look-up answers the same 403.
// Why log data and no query parameter: the access log keeps the query string the viewer sent, so
// a parameter added here would never reach the billing record, and an apikey_fp found there is
// whatever the client typed. The viewer-request-log-data field holds only what this function
// passes to cf.logCustomData (URL-encoded by CloudFront, cut at 800 bytes, "-" when not called).
// Written in the ES5 subset both CloudFront's runtime and Debian's njs accept (var, no arrows),
// plus async/await, which the key value store helpers need.
var crypto = require('crypto');
var keys = cf.kvs();
// true only while an environment moves its keys out of Terraform (cf-functions/function-code.ts
// sets it from the environment's edgeKeyCheck): a fingerprint the store does not hold then passes
// on to API Gateway, which still checks the key itself.
var ADMIT_UNKNOWN = false;

function forbidden() {
    return {
        statusCode: 403,
        statusDescription: 'Forbidden',
        headers: { 'content-type': { value: 'application/json' } },
        body: '{"message":"Forbidden"}'
    };
}

async function handler(event) {
    var request = event.request;
    var header = request.headers && request.headers['x-api-key'];
    if (!header || (header.multiValue && header.multiValue.length > 1)) {
        return forbidden();
    }
    var key = header.value;
    if (typeof key !== 'string' || !/^[\x21-\x7e]{20,128}$/.test(key)) {
        return forbidden();
    }
    var fp = crypto.createHash('sha256').update(key).digest('hex').slice(0, 16);
    cf.logCustomData(fp);
    var value;
    try {
        // get() rejects when the key is missing; exists() would need a second look-up for the value.
        value = await keys.get(fp);
    } catch (e) {
        return ADMIT_UNKNOWN ? request : forbidden();
    }
    if (value === 'active') {
        return request;
    }
    var grace = /^until:(\d{1,12})$/.exec(value);
    if (grace && Date.now() < Number(grace[1]) * 1000) {
        return request;
    }
    return forbidden();
}
