// CloudFront Function (runtime cloudfront-js-2.0), viewer request. Contract 2 in DESIGN.md.
// - drops every client-sent query parameter named apikey_fp in any letter case, also when the
//   name is percent-encoded (apikey%5Ffp): CloudFront passes names as the viewer sent them and
//   API Gateway would decode them into a second apikey_fp;
// - answers 403 {"message":"Forbidden"} when x-api-key is missing, sent more than once, or
//   malformed (well-formed: 20 to 128 printable ASCII characters, 0x21-0x7E);
// - otherwise adds apikey_fp = first 16 hex chars of sha256(key) and passes the request on,
//   every other parameter, header and cookie untouched.
// Written in the ES5 subset both CloudFront's runtime and Debian's njs accept (var, no arrows).
var crypto = require('crypto');

function forbidden() {
    return {
        statusCode: 403,
        statusDescription: 'Forbidden',
        headers: { 'content-type': { value: 'application/json' } },
        body: '{"message":"Forbidden"}'
    };
}

function decodedName(name) {
    try {
        return decodeURIComponent(name);
    } catch (e) {
        return name;
    }
}

function handler(event) {
    var request = event.request;
    var query = request.querystring || {};
    var names = Object.keys(query);
    for (var i = 0; i < names.length; i++) {
        if (decodedName(names[i]).toLowerCase() === 'apikey_fp') {
            delete query[names[i]];
        }
    }
    request.querystring = query;

    var header = request.headers && request.headers['x-api-key'];
    if (!header || (header.multiValue && header.multiValue.length > 1)) {
        return forbidden();
    }
    var key = header.value;
    if (typeof key !== 'string' || !/^[\x21-\x7e]{20,128}$/.test(key)) {
        return forbidden();
    }
    query.apikey_fp = { value: crypto.createHash('sha256').update(key).digest('hex').slice(0, 16) };
    return request;
}
