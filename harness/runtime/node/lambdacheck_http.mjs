// The bundled Node.js client's HTTP to the Runtime API: one kept-alive HTTP/1.1 connection,
// one request at a time, Node's net module only. Tested by suites/runtime/node.
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

  // Sends one request; resolves to {status, headers, body (a Buffer)}.
  request(method, route, headers = {}, body = undefined) {
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
