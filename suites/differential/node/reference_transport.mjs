// Preloaded (node --import) before AWS's Node.js runtime interface client, in its main thread and,
// under Lambda Managed Instances, in each of its worker threads (they inherit node's options):
// when aws-lambda-ric's native transport (rapid-client.node) is not there, that one module is
// replaced by blocking HTTP calls with the same three functions, so that the client behaves as
// with the addon (a post has been made when done() or error() returns). See reference_launcher.mjs.
import Module from 'node:module';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { Worker, MessageChannel, receiveMessageOnPort } from 'node:worker_threads';

const [host, port] = process.env.AWS_LAMBDA_RUNTIME_API.split(':');
const API = '/2018-06-01/runtime/invocation/';

// The stand-in for the native transport.
function standInTransport() {
  // A worker makes the posts while this thread waits on a shared flag: a blocking call.
  const flag = new Int32Array(new SharedArrayBuffer(4));
  const { port1: mine, port2: theirs } = new MessageChannel();
  const poster = new Worker(`
    const http = require('node:http');
    const { workerData } = require('node:worker_threads');
    const { flag, port, host, apiPort } = workerData;
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    port.on('message', ({ route, body, headers }) => {
      const finish = (status) => { port.postMessage(status); Atomics.store(flag, 0, 1); Atomics.notify(flag, 0); };
      const req = http.request({ host, port: apiPort, path: route, method: 'POST', agent,
        headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), ...headers } },
        (res) => { res.resume(); res.on('end', () => finish(res.statusCode)); });
      req.on('error', () => finish(0));
      req.end(body);
    });
  `, { eval: true, execArgv: [], // not this preload again
       workerData: { flag, port: theirs, host, apiPort: Number(port) }, transferList: [theirs] });
  poster.unref();

  function postAndWait(route, body, headers) {
    Atomics.store(flag, 0, 0);
    mine.postMessage({ route, body, headers });
    Atomics.wait(flag, 0, 0);
    return receiveMessageOnPort(mine)?.message;
  }

  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const transport = {
    next: () => new Promise((resolve, reject) => {
      http.get({ host, port: Number(port), path: API + 'next', agent }, (res) => {
        const parts = [];
        res.on('data', (p) => parts.push(p));
        res.on('end', () => {
          const h = res.headers;
          const headers = {
            'lambda-runtime-deadline-ms': Number(h['lambda-runtime-deadline-ms']),
            'lambda-runtime-aws-request-id': h['lambda-runtime-aws-request-id'] ?? '',
            'lambda-runtime-trace-id': h['lambda-runtime-trace-id'] ?? '',
            'lambda-runtime-invoked-function-arn': h['lambda-runtime-invoked-function-arn'] ?? '',
          };
          for (const name of ['lambda-runtime-client-context', 'lambda-runtime-cognito-identity',
                              'lambda-runtime-aws-tenant-id'])
            if (h[name])
              headers[name] = h[name];
          resolve({ bodyJson: Buffer.concat(parts).toString('utf8'), headers });
        });
      }).on('error', reject);
    }),
    done: (id, body) => { postAndWait(API + id + '/response', body, {}); return null; },
    error: (id, body, xray) => {
      postAndWait(API + id + '/error', body, { 'lambda-runtime-function-xray-error-cause': xray });
      return null;
    },
  };
  return transport;
}

// 3.x keeps its code and addon in dist/ and exports run(); 4.x keeps them at the package's root,
// and its index.mjs starts the runtime when imported.
const ric = process.env.LAMBDACHECK_AWS_LAMBDA_RIC;
const v3 = fs.existsSync(path.join(ric, 'dist', 'index.mjs'));
const code = v3 ? path.join(ric, 'dist') : ric;
if (!fs.existsSync(path.join(code, 'rapid-client.node'))) {
  const standIn = standInTransport();
  const load = Module._load;
  Module._load = function (request, ...rest) {
    return request === './rapid-client.node' ? standIn : load.call(this, request, ...rest);
  };
}
