// The bundled Node.js client as nodejs24.x (aws-lambda-ric 4.x) against nodejs22.x (3.x): the
// client is run against a small Runtime API that hands out one event and records the posts.
// https://docs.aws.amazon.com/lambda/latest/dg/nodejs-handler.html. Run: node --test.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import test from 'node:test';
import { fileURLToPath } from 'node:url';

const client = fileURLToPath(new URL('../../../harness/runtime/node/lambdacheck_runtime.mjs',
                                     import.meta.url));

const HANDLERS = `
exports.callback = (event, context, callback) => callback(null, 'called back');
exports.context = async (event, context) => ({ done: typeof context.done,
  waits: context.callbackWaitsForEmptyEventLoop ?? null, trace: context.xRayTraceId ?? null });
exports.plain = (event, context) => 'plain';
exports.circular = async () => { const o = {}; o.o = o; return o; };
`;

// Runs the client as runtime (AWS_EXECUTION_ENV) on handler with one event; resolves with the
// first post it makes: {route, body}.
async function firstPost(runtime, handler) {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'lc_node24_'));
  fs.writeFileSync(path.join(root, 'app.js'), HANDLERS);
  let child;
  const posted = new Promise((resolve) => {
    const server = http.createServer((req, res) => {
      let body = '';
      req.on('data', (part) => { body += part; });
      req.on('end', () => {
        if (req.method === 'GET') {
          res.writeHead(200, { 'Lambda-Runtime-Aws-Request-Id': 'r-1',
                               'Lambda-Runtime-Deadline-Ms': String(Date.now() + 10000),
                               'Lambda-Runtime-Invoked-Function-Arn': 'arn:aws:lambda:x:1:function:f',
                               'Lambda-Runtime-Trace-Id': 'Root=1-abc' });
          res.end('{}');
          return;
        }
        res.writeHead(202).end();
        server.close();
        child.kill();
        resolve({ route: req.url.replace(/^\/2018-06-01\/runtime/, ''), body: JSON.parse(body) });
      });
    });
    server.listen(0, '127.0.0.1', () => {
      child = spawn(process.execPath, [client], { stdio: 'ignore', env: {
        AWS_LAMBDA_RUNTIME_API: `127.0.0.1:${server.address().port}`, _HANDLER: `app.${handler}`,
        LAMBDA_TASK_ROOT: root, AWS_EXECUTION_ENV: `AWS_Lambda_${runtime}`,
        AWS_LAMBDA_FUNCTION_NAME: 'f', AWS_LAMBDA_FUNCTION_VERSION: '$LATEST',
        AWS_LAMBDA_FUNCTION_MEMORY_SIZE: '128', AWS_LAMBDA_LOG_GROUP_NAME: 'g',
        AWS_LAMBDA_LOG_STREAM_NAME: 's' } });
    });
  });
  try {
    return await posted;
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
}

test('nodejs22.x: a callback handler answers through its callback', async () => {
  assert.deepEqual(await firstPost('nodejs22.x', 'callback'),
                   { route: '/invocation/r-1/response', body: 'called back' });
});

test('nodejs24.x: a callback handler is an init error, Runtime.CallbackHandlerDeprecated', async () => {
  const { route, body } = await firstPost('nodejs24.x', 'callback');
  assert.equal(route, '/init/error');
  assert.equal(body.errorType, 'Runtime.CallbackHandlerDeprecated');
  assert.match(body.errorMessage, /^ERROR: AWS Lambda has removed support for callback-based function handlers starting with Node\.js 24\./);
});

test('nodejs22.x: the context has the callback-era methods', async () => {
  const { body } = await firstPost('nodejs22.x', 'context');
  assert.deepEqual(body, { done: 'function', waits: true, trace: null });
});

test('nodejs24.x: the context has none of them, and the X-Ray trace id', async () => {
  const { body } = await firstPost('nodejs24.x', 'context');
  assert.deepEqual(body, { done: 'undefined', waits: null, trace: 'Root=1-abc' });
});

test('a plain return value: ignored on nodejs22.x, the answer on nodejs24.x', async () => {
  assert.equal((await firstPost('nodejs22.x', 'plain')).body, null);
  assert.equal((await firstPost('nodejs24.x', 'plain')).body, 'plain');
});

test('nodejs24.x: a result JSON cannot encode is Runtime.JSONStringifyError', async () => {
  const { route, body } = await firstPost('nodejs24.x', 'circular');
  assert.equal(route, '/invocation/r-1/error');
  assert.equal(body.errorType, 'Runtime.JSONStringifyError');
  assert.equal(body.errorMessage, 'Unable to stringify response body');
});
