// CloudFront Function (runtime cloudfront-js-2.0), viewer request. Contract 2 in DESIGN.md.
// - drops every client-sent query parameter named apikey_fp in any letter case;
// - answers 403 {"message":"Forbidden"} when x-api-key is missing or malformed
//   (well-formed: 20 to 128 printable ASCII characters, 0x21-0x7E);
// - otherwise adds apikey_fp = first 16 hex chars of sha256(key) and passes the request on.
// Written in the ES5 subset both CloudFront's runtime and Debian's njs accept (var, no arrows).
var crypto = require('crypto');

var FORBIDDEN = {
    statusCode: 403,
    statusDescription: 'Forbidden',
    headers: { 'content-type': { value: 'application/json' } },
    body: '{"message":"Forbidden"}'
};

function handler(event) {
    var request = event.request;
    var query = request.querystring || {};
    var names = Object.keys(query);
    for (var i = 0; i < names.length; i++) {
        if (names[i].toLowerCase() === 'apikey_fp') {
            delete query[names[i]];
        }
    }
    request.querystring = query;

    var header = request.headers && request.headers['x-api-key'];
    var key = header ? header.value : undefined;
    if (typeof key !== 'string' || !/^[\x21-\x7e]{20,128}$/.test(key)) {
        return FORBIDDEN;
    }
    query.apikey_fp = { value: crypto.createHash('sha256').update(key).digest('hex').slice(0, 16) };
    return request;
}
