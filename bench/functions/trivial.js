// The trivial Node.js handler the benchmarks time: the work is the runtime's, not the handler's.
exports.handler = async () => null;
exports.http = async () => ({ statusCode: 200, body: 'ok' });
