// The bundled Node.js client's HTTP to the Runtime API: one kept-alive HTTP/1.1 connection,
// one request at a time, Node's net module only. Tested by suites/runtime/node.
import fs from 'node:fs';
import net from 'node:net';

// One kept-alive HTTP/1.1 connection to the Runtime API, one request at a time. Leaner than
// node:http (its agent, parser and stream objects cost about half of a warm call); answers
// framed by Content-Length, chunked encoding or the end of the connection are all read.
export class Connection {
  constructor(host, port) {
    this.host = host;
    this.port = port;
    this.socket = null;
    this.input = Buffer.alloc(0);
    this.waiting = null; // {resolve, reject} of the request in flight
  }

  connect() {
    const socket = net.connect(this.port, this.host);
    socket.setNoDelay(true);
    // events of a socket given up (an answer said Connection: close) no longer matter
    const mine = (handler) => (...args) => (this.socket === socket ? handler(...args) : undefined);
    socket.on('data', mine((data) => {
      this.input = this.input.length ? Buffer.concat([this.input, data]) : data;
      this.read(false);
    }));
    socket.on('end', mine(() => this.read(true)));
    socket.on('error', mine((e) => this.fail(e)));
    socket.on('close', mine(() => this.fail(new Error('the Runtime API closed the connection'))));
    this.socket = socket;
  }

  fail(error) {
    this.socket = null;
    this.input = Buffer.alloc(0);
    const waiting = this.waiting;
    this.waiting = null;
    waiting?.reject(error);
  }

  // The answer in the input, once whole: {status, headers, body}, else null.
  parse(ended) {
    const end = this.input.indexOf('\r\n\r\n');
    if (end < 0)
      return null;
    const lines = this.input.subarray(0, end).toString('latin1').split('\r\n');
    const headers = {};
    for (const line of lines.slice(1)) {
      const colon = line.indexOf(':');
      const name = line.slice(0, colon).trim().toLowerCase();
      const value = line.slice(colon + 1).trim();
      headers[name] = name in headers ? `${headers[name]}, ${value}` : value;
    }
    const status = Number(lines[0].split(' ')[1]);
    let at = end + 4;
    let body;
    if (/chunked/i.test(headers['transfer-encoding'] ?? '')) {
      const parts = [];
      for (;;) {
        const lineEnd = this.input.indexOf('\r\n', at);
        if (lineEnd < 0)
          return null;
        const size = parseInt(this.input.subarray(at, lineEnd).toString('latin1'), 16);
        if (size === 0) {
          const trailersEnd = this.input.indexOf('\r\n\r\n', lineEnd); /* trailers, if any */
          if (trailersEnd < 0)
            return null;
          at = trailersEnd + 4;
          break;
        }
        if (this.input.length < lineEnd + 2 + size + 2)
          return null;
        parts.push(this.input.subarray(lineEnd + 2, lineEnd + 2 + size));
        at = lineEnd + 2 + size + 2;
      }
      body = Buffer.concat(parts);
    } else if (headers['content-length'] !== undefined) {
      const length = Number(headers['content-length']);
      if (this.input.length < at + length)
        return null;
      body = this.input.subarray(at, at + length);
      at += length;
    } else if (ended) {
      body = this.input.subarray(at);
      at = this.input.length;
    } else {
      return null;
    }
    this.input = this.input.subarray(at);
    if (/close/i.test(headers.connection ?? '') || ended) {
      const socket = this.socket;
      this.socket = null;
      socket?.destroy();
    }
    return { status, headers, body };
  }

  read(ended) {
    if (!this.waiting)
      return;
    const answer = this.parse(ended);
    if (answer === null)
      return;
    const waiting = this.waiting;
    this.waiting = null;
    this.socket?.unref(); // idle, it must not keep the event loop alive (callback handlers wait
                          // for it to empty)
    waiting.resolve(answer);
  }

  // Sends one request, after the ones before it have their answers; resolves to {status,
  // headers, body (a Buffer)}.
  request(method, route, headers = {}, body = undefined) {
    const turn = (this.queue ?? Promise.resolve()).then(() => this.send(method, route, headers, body));
    this.queue = turn.catch(() => {});
    return turn;
  }

  send(method, route, headers, body) {
    if (this.socket === null)
      this.connect();
    let head = `${method} ${route} HTTP/1.1\r\nHost: ${this.host}:${this.port}\r\n`;
    for (const [name, value] of Object.entries(headers))
      head += `${name}: ${value}\r\n`;
    if (body !== undefined)
      head += `Content-Length: ${Buffer.byteLength(body)}\r\n`;
    return new Promise((resolve, reject) => {
      this.waiting = { resolve, reject };
      this.socket.ref(); // a request in flight keeps the process alive, as node:http's does
      this.socket.write(head + '\r\n');
      if (body !== undefined && body.length)
        this.socket.write(body);
    });
  }
}

// A header value as sent, or undefined when it cannot be one (a line break, a control byte).
export const headerValue = (value) => (/^[\t\x20-\x7e]*$/.test(String(value)) ? String(value) : undefined);

// How BlockingConnection waits for an answer, and the one buffer it reads into.
const SPIN_NS = 150000n;
const PAUSE_MS = 0.05;
const PAUSE = new Int32Array(new SharedArrayBuffer(4)); // never notified: Atomics.wait sleeps
const READ_BUFFER = Buffer.allocUnsafe(65536);

// A connection whose requests block, for the posts: AWS's client posts synchronously, so code
// that runs after an answer (a log line, process.exit) runs once the platform has it. Node has no
// blocking sockets: the request is written and the answer read with fs.writeSync/readSync on the
// socket's descriptor, retried while the non-blocking socket has no room or no data yet (the
// Runtime API answers a post at once). Node itself never reads this socket: it stays paused.
export class BlockingConnection {
  constructor(host, port) {
    this.host = host;
    this.port = port;
    this.parser = new Connection(host, port); // its answer parser, over our input
    this.socket = null;
  }

  open() {
    this.socket = net.connect(this.port, this.host);
    this.socket.setNoDelay(true);
    this.socket.pause();
    this.socket.on('error', () => {}); // a failure shows in the next read or write
    this.socket.unref();
    this.parser.input = Buffer.alloc(0);
  }

  // Whether requests can be made now (Node has made the socket's descriptor).
  ready() {
    return (this.socket?._handle?.fd ?? -1) >= 0;
  }

  close() {
    this.socket?.destroy();
    this.socket = null;
  }

  // fs.writeSync/readSync until done; EAGAIN (and ENOTCONN while connecting) are retried: at
  // once for SPIN_NS, then after pauses of PAUSE_MS, so that a slow answer does not keep a core
  // busy (on two cores a spinning client starves the very server it waits for).
  static retrying(call) {
    let since = 0n;
    for (;;) {
      try {
        return call();
      } catch (e) {
        if (e.code !== 'EAGAIN' && e.code !== 'EWOULDBLOCK' && e.code !== 'ENOTCONN')
          throw e;
      }
      const now = process.hrtime.bigint();
      if (since === 0n)
        since = now;
      else if (now - since > SPIN_NS)
        Atomics.wait(PAUSE, 0, 0, PAUSE_MS);
    }
  }

  // Sends one request and returns its answer {status, headers, body}; throws when the Runtime
  // API is gone.
  request(method, route, headers = {}, body = '') {
    for (let attempt = 0; ; attempt++) {
      if (this.socket === null)
        this.open();
      try {
        return this.exchange(method, route, headers, body);
      } catch (e) {
        this.close();
        if (attempt > 0) /* one fresh connection is tried; a second failure is real */
          throw e;
      }
    }
  }

  exchange(method, route, headers, body) {
    // the descriptor exists once Node has begun connecting, a turn of the event loop after open()
    const fd = this.socket._handle?.fd ?? -1;
    if (fd < 0)
      throw new Error('the connection to the Runtime API is not open yet');
    let head = `${method} ${route} HTTP/1.1\r\nHost: ${this.host}:${this.port}\r\n`;
    for (const [name, value] of Object.entries(headers))
      head += `${name}: ${value}\r\n`;
    const bytes = Buffer.concat([Buffer.from(`${head}Content-Length: ${Buffer.byteLength(body)}\r\n\r\n`,
                                             'latin1'), Buffer.from(body)]);
    for (let at = 0; at < bytes.length;)
      at += BlockingConnection.retrying(() => fs.writeSync(fd, bytes, at, bytes.length - at));
    const chunk = READ_BUFFER; // copied out at once: one buffer serves every read
    for (;;) {
      const n = BlockingConnection.retrying(() => fs.readSync(fd, chunk, 0, chunk.length, null));
      this.parser.input = Buffer.concat([this.parser.input, chunk.subarray(0, n)]);
      this.parser.socket = this.socket; // parse() may give it up (Connection: close)
      const answer = this.parser.parse(n === 0);
      if (this.parser.socket === null)
        this.socket = null;
      if (answer)
        return answer;
      if (n === 0)
        throw new Error('the Runtime API closed the connection');
    }
  }
}
