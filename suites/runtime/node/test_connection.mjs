// The bundled Node.js client's Runtime API connection (harness/runtime/node/lambdacheck_http.mjs)
// against servers that frame their answers every way HTTP/1.1 allows. Run: node --test.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import net from 'node:net';
import test from 'node:test';

import { BlockingConnection, Connection, headerValue } from '../../../harness/runtime/node/lambdacheck_http.mjs';

// A server that answers each request with the next of `answers` (raw bytes, written in pieces of
// `piece` bytes) and records the requests.
async function server(answers, piece = 3) {
  const requests = [];
  const srv = net.createServer((socket) => {
    let input = '';
    socket.on('data', (data) => {
      input += data.toString('latin1');
      while (input.includes('\r\n\r\n')) {
        const end = input.indexOf('\r\n\r\n') + 4;
        const length = Number(/content-length: (\d+)/i.exec(input.slice(0, end))?.[1] ?? 0);
        if (input.length < end + length)
          return;
        requests.push(input.slice(0, end + length));
        input = input.slice(end + length);
        const answer = Buffer.from(answers.shift(), 'latin1');
        for (let at = 0; at < answer.length; at += piece)
          setTimeout(() => socket.write(answer.subarray(at, at + piece)), at / piece);
        if (answer.includes('Connection: close'))
          setTimeout(() => socket.end(), answer.length / piece + 5);
      }
    });
  });
  await new Promise((resolve) => srv.listen(0, '127.0.0.1', resolve));
  return { srv, requests, port: srv.address().port };
}

test('answers framed by Content-Length, chunks and trailers come back whole, in order', async () => {
  const { srv, requests, port } = await server([
    'HTTP/1.1 200 OK\r\nContent-Length: 5\r\nLambda-Runtime-Aws-Request-Id: abc\r\n\r\nhello',
    'HTTP/1.1 202 Accepted\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\nX-T: 1\r\n\r\n',
    'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n',
  ]);
  const c = new Connection('127.0.0.1', port);
  const first = await c.request('GET', '/next');
  assert.equal(first.status, 200);
  assert.equal(first.body.toString(), 'hello');
  assert.equal(first.headers['lambda-runtime-aws-request-id'], 'abc');
  const second = await c.request('POST', '/response', { 'Content-Type': 'application/json' }, '{"a":1}');
  assert.equal(second.status, 202);
  assert.equal(second.body.toString(), 'abcde');
  assert.equal((await c.request('GET', '/x')).body.length, 0);
  assert.match(requests[1], /^POST \/response HTTP\/1\.1\r\n/);
  assert.match(requests[1], /Content-Length: 7\r\n\r\n\{"a":1\}$/);
  c.socket?.destroy();
  srv.close();
});

test('a server that closes after its answer is reconnected to; one without a length is read to its end', async () => {
  const { srv, port } = await server([
    'HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok',
    'HTTP/1.1 200 OK\r\nConnection: close\r\n\r\nuntil the end',
    'HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nback',
  ]);
  const c = new Connection('127.0.0.1', port);
  assert.equal((await c.request('GET', '/a')).body.toString(), 'ok');
  assert.equal((await c.request('GET', '/b')).body.toString(), 'until the end');
  assert.equal((await c.request('GET', '/c')).body.toString(), 'back');
  c.socket?.destroy();
  srv.close();
});

test('a connection that fails mid-answer rejects the request instead of hanging', async () => {
  const srv = net.createServer((socket) => socket.end('HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc'));
  await new Promise((resolve) => srv.listen(0, '127.0.0.1', resolve));
  const c = new Connection('127.0.0.1', srv.address().port);
  await assert.rejects(c.request('GET', '/next'), /closed the connection/);
  srv.close();
});

test('header values with line breaks or control bytes are refused', () => {
  assert.equal(headerValue('Runtime.ImportModuleError'), 'Runtime.ImportModuleError');
  assert.equal(headerValue('bad\r\nInjected: yes'), undefined);
  assert.equal(headerValue('tab\tok'), 'tab\tok');
});

// A server in another process (a blocking request stops this one's event loop), echoing each
// request's body with the status 202; Connection: close when the body says "close".
async function otherProcessServer() {
  const child = spawn(process.execPath, ['-e', `
    const http = require('node:http');
    const s = http.createServer((req, res) => {
      let body = '';
      req.on('data', (d) => body += d);
      req.on('end', () => {
        res.writeHead(202, body === 'close' ? { Connection: 'close' } : {});
        res.end('got ' + req.method + ' ' + req.url + ' ' + body);
      });
    });
    s.listen(0, '127.0.0.1', () => console.log(s.address().port));
  `], { stdio: ['ignore', 'pipe', 'inherit'] });
  const port = await new Promise((resolve) => child.stdout.once('data', (d) => resolve(Number(d))));
  return { child, port };
}

test('a blocking request has its answer when it returns, with no turn of the event loop', async () => {
  const { child, port } = await otherProcessServer();
  const c = new BlockingConnection('127.0.0.1', port);
  c.open();
  assert.equal(c.ready(), false); // Node makes the descriptor on a later turn
  await new Promise((resolve) => setImmediate(resolve));
  assert.equal(c.ready(), true);
  let turned = false;
  setImmediate(() => { turned = true; });
  const first = c.request('POST', '/invocation/1/response', { 'Content-Type': 'application/json' }, 'null');
  assert.equal(turned, false);
  assert.equal(first.status, 202);
  assert.equal(first.body.toString(), 'got POST /invocation/1/response null');
  const big = 'x'.repeat(3 * 1024 * 1024); // more than a socket buffer holds
  assert.equal(c.request('POST', '/big', {}, big).body.length, 'got POST /big '.length + big.length);
  assert.equal(c.request('POST', '/c', {}, 'close').status, 202); // the server closes after it
  assert.throws(() => c.request('POST', '/d', {}, 'after'), /not open yet/); // no new socket yet
  c.close();
  child.kill();
});
