// The event the Lambda benchmarks send: GET / as an API Gateway HTTP API v2 event.
module.exports = {
  version: '2.0', routeKey: '$default', rawPath: '/', rawQueryString: '', cookies: [],
  headers: { host: 'abc123.execute-api.eu-west-1.amazonaws.com', accept: 'text/html', 'x-forwarded-proto': 'https' },
  requestContext: {
    accountId: '123456789012', apiId: 'abc123', domainName: 'abc123.execute-api.eu-west-1.amazonaws.com', domainPrefix: 'abc123',
    http: { method: 'GET', path: '/', protocol: 'HTTP/1.1', sourceIp: '203.0.113.7', userAgent: 'bench' },
    requestId: 'bench', routeKey: '$default', stage: '$default', time: '22/Nov/2026:12:00:00 +0000', timeEpoch: 1795348800000,
  },
  isBase64Encoded: false,
};
