// lambdacheck's bundled Node.js runtime interface client.
//
// It runs one function's handler against the Runtime API at $AWS_LAMBDA_RUNTIME_API, the way
// Lambda's managed Node.js runtimes (AWS's aws-lambda-ric 3.x) do: the same handler resolution,
// error bodies, context object, console format and callback semantics. Node's standard library
// only, Node >= 18. Started by the harness as `node lambdacheck_runtime.mjs`; the handler comes
// from $_HANDLER and the code folder from $LAMBDA_TASK_ROOT.
//
// nodejs24.x (and later) behave as Lambda's nodejs24.x, whose client is aws-lambda-ric 4.x: no
// callback-style handlers (a handler declaring three parameters is refused at init), and a context
// without done/succeed/fail/callbackWaitsForEmptyEventLoop; a result is posted once the handler's
// promise (or plain value) settles, without waiting for the event loop to empty.
// https://docs.aws.amazon.com/lambda/latest/dg/nodejs-handler.html
//
// Under Lambda Managed Instances (AWS_LAMBDA_MAX_CONCURRENCY set, as by the platform), it runs as
// aws-lambda-ric 4.x does there: worker threads, each loading the handler and keeping one /next
// open while its earlier invocations still run, so one worker runs several at once; JSON logs
// whose requestId follows each invocation through its async calls.
// https://docs.aws.amazon.com/lambda/latest/dg/lambda-managed-instances-nodejs-runtime.html
//
// Sections: errors, logging, the Runtime API, loading the handler, one invocation, start-up.

import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import util from 'node:util';
import nodeModule, { createRequire } from 'node:module';
import os from 'node:os';
import { AsyncLocalStorage } from 'node:async_hooks';
import { Worker, isMainThread } from 'node:worker_threads';
import { BlockingConnection, Connection, headerValue } from './lambdacheck_http.mjs';

const requireFromClient = createRequire(import.meta.url);

// --- errors ------------------------------------------------------------------------------------

// The runtime's own error types; each one's name is "Runtime.<class>", as Lambda reports them
// (nodejs24.x's client sets it on each error, so it shows among the fields a log prints).
function runtimeError(kind) {
  const cls = class extends Error {
    constructor(...args) {
      super(...args);
      if (callbacksRemoved())
        this.name = `Runtime.${kind}`;
    }
  };
  // aws-lambda-ric 4.x names three of its classes with an "Error" suffix, which a JSON log
  // record's errorType shows
  const suffixed = ['HandlerNotFound', 'MalformedHandlerName', 'CallbackHandlerDeprecated'];
  Object.defineProperty(cls, 'name', {
    value: callbacksRemoved() && suffixed.includes(kind) ? `${kind}Error` : kind,
  });
  cls.prototype.name = `Runtime.${kind}`;
  return cls;
}
const ImportModuleError = runtimeError('ImportModuleError');
const CallbackHandlerDeprecated = runtimeError('CallbackHandlerDeprecated');
const JSONStringifyError = runtimeError('JSONStringifyError');
const HandlerNotFound = runtimeError('HandlerNotFound');
const MalformedHandlerName = runtimeError('MalformedHandlerName');
const UserCodeSyntaxError = runtimeError('UserCodeSyntaxError');
const MalformedStreamingHandler = runtimeError('MalformedStreamingHandler');
const InvalidStreamingOperation = runtimeError('InvalidStreamingOperation');
class UnhandledPromiseRejection extends Error {
  constructor(reason, promise) {
    super(reason);
    this.reason = reason;
    this.promise = promise;
  }
}
UnhandledPromiseRejection.prototype.name = 'Runtime.UnhandledPromiseRejection';

// Lambda's platform escapes DEL in what a runtime reports.
const escapeDel = (text) => text.replace(/\x7F/g, '%7F');

// Anything that quacks like an Error (another realm's, a plain object built like one).
function errorLike(value) {
  return Boolean(value) && typeof value.name === 'string' && typeof value.message === 'string' &&
    typeof value.stack === 'string' && value.name !== '' && value.message !== '' && value.stack !== '';
}

// The body of an error post: {errorType, errorMessage, trace}; a thrown non-Error is typed by
// its typeof ("string", "object") with its text as the message and no trace.
function errorBody(error) {
  try {
    if (util.types.isNativeError(error) || errorLike(error)) {
      return {
        errorType: error.name === undefined ? undefined : escapeDel(error.name),
        errorMessage: error.message === undefined ? undefined : escapeDel(error.message),
        trace: escapeDel(error.stack).split('\n'),
      };
    }
    return { errorType: typeof error,
             errorMessage: callbacksRemoved() ? String(error) : error.toString(), trace: [] };
  } catch {
    return {
      errorType: 'handled',
      errorMessage: 'callback called with Error argument, but there was a problem while ' +
        'retrieving one or more of its message, name, and stack',
    };
  }
}

const asError = (value) => (value instanceof Error ? value
  : new Error(callbacksRemoved() ? String(value) : value));

// An Error written into a text log record: its type, message, code, own fields and stack lines.
function expandError(_key, value) {
  if (!(value instanceof Error))
    return value;
  const out = { errorType: value.name, errorMessage: value.message, code: value.code, ...value };
  if (typeof value.stack === 'string')
    out.stack = value.stack.split('\n');
  return out;
}

function errorForTextLog(error) {
  try {
    return '\t' + JSON.stringify(error, expandError);
  } catch {
    return '\t' + JSON.stringify(errorBody(error));
  }
}

// The X-Ray cause of an error, as the runtime hands it to the platform: the stack parsed into
// {path, line, label} frames. "" when it cannot be built.
function xrayCause(error) {
  try {
    const stack = [];
    const lines = error.stack ? escapeDel(error.stack).split('\n').slice(1) : [];
    for (const raw of lines) {
      let line = raw.trim().replace(/[()]/g, '');
      line = line.substring(line.indexOf(' ') + 1);
      const blank = line.lastIndexOf(' ');
      const label = blank >= 0 ? line.slice(0, blank) : null;
      const where = (label ? line.slice(blank + 1) : line).split(':');
      stack.push({ path: where[0], line: parseInt(where[1]), label: label || 'anonymous' });
    }
    return JSON.stringify({
      working_directory: process.cwd(),
      exceptions: [{
        type: error.name === undefined ? undefined : escapeDel(error.name),
        message: error.message === undefined ? undefined : escapeDel(error.message),
        stack,
      }],
      paths: [...new Set(stack.map((frame) => frame.path))],
    });
  } catch {
    return '';
  }
}

// --- logging -----------------------------------------------------------------------------------

const LEVELS = { TRACE: 1, DEBUG: 2, INFO: 3, WARN: 4, ERROR: 5, FATAL: 6 };
const REQUEST_ID = Symbol.for('aws.lambda.runtime.requestId');
const TENANT_ID = Symbol.for('aws.lambda.runtime.tenantId');

// Lambda Managed Instances: the platform sets AWS_LAMBDA_MAX_CONCURRENCY (runtimes-api.html).
function managedInstances() {
  return process.env.AWS_LAMBDA_MAX_CONCURRENCY !== undefined;
}
// Under Managed Instances, the invocation a piece of code runs for: {id, tenantId}.
const invocationStore = new AsyncLocalStorage();
const currentRequestId = () => (managedInstances() ? invocationStore.getStore()?.id ?? '-'
                                                   : globalThis[REQUEST_ID]);
const currentTenantId = () => (managedInstances() ? invocationStore.getStore()?.tenantId
                                                  : globalThis[TENANT_ID]);

// One JSON log record; a lone argument is kept as a value (Errors expanded), several are
// formatted into one message with the first Error's fields beside it.
function jsonRecord(level, args) {
  const record = { timestamp: new Date().toISOString(), level,
                   requestId: currentRequestId() ?? (callbacksRemoved() ? '-' : undefined) };
  const tenantId = currentTenantId();
  if (tenantId !== undefined && tenantId !== null)
    record.tenantId = tenantId;
  const errorFields = (_key, value) => {
    if (!(value instanceof Error))
      return value;
    return {
      errorType: value?.constructor?.name ?? 'UnknownError',
      errorMessage: value.message,
      stackTrace: typeof value.stack === 'string' ? value.stack.split('\n') : value.stack,
      ...value,
    };
  };
  if (args.length === 1) {
    record.message = args[0];
    try {
      return JSON.stringify(record, errorFields);
    } catch {
      record.message = util.format(record.message);
      return JSON.stringify(record);
    }
  }
  record.message = util.format(...args);
  const error = args.find((a) => a instanceof Error);
  if (error) {
    record.errorType = error?.constructor?.name ?? 'UnknownError';
    record.errorMessage = error.message;
    record.stackTrace = typeof error.stack === 'string' ? error.stack.split('\n') : [];
  }
  return JSON.stringify(record);
}

// Outside an invocation the request id is "undefined" (3.x) or "-" (nodejs24.x's 4.x).
function textRecord(level, args) {
  const id = currentRequestId() ?? (callbacksRemoved() ? '-' : undefined);
  return `${new Date().toISOString()}\t${id}\t${level}\t${util.format(...args)}`;
}

// console.* as Lambda patches it: one line per call on stdout (newlines inside become \r), in the
// format and from the level the function's logging configuration sets. Returns how the runtime
// logs an error of its own ("Invoke Error", "Uncaught Exception", ...).
function patchConsole() {
  // Managed Instances log JSON only (monitoring-cloudwatchlogs-logformat.html)
  const json = managedInstances() || process.env.AWS_LAMBDA_LOG_FORMAT?.toUpperCase() === 'JSON';
  const threshold = LEVELS[process.env.AWS_LAMBDA_LOG_LEVEL?.toUpperCase()] ?? LEVELS.TRACE;
  const format = json ? jsonRecord : textRecord;
  // a worker thread's process.stdout reaches the descriptor later, through the main thread:
  // under Managed Instances records are written to it at once, before the answer is posted
  const write = managedInstances() ? (line) => fs.writeSync(1, line)
                                   : (line) => process.stdout.write(line);
  const writer = (level) => (message, ...params) => {
    write(format(level, [message, ...params]).replace(/\n/g, '\r') + '\n');
  };
  const ignore = () => {};
  for (const level of ['TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR'])
    console[level.toLowerCase()] = LEVELS[level] >= threshold ? writer(level) : ignore;
  console.log = console.info;
  console.fatal = writer('FATAL');
  return json ? (_title, error) => console.error(asError(error))
              : (title, error) => console.error(title, errorForTextLog(asError(error)));
}

// --- the Runtime API ---------------------------------------------------------------------------

const API = '/2018-06-01/runtime';


// The posts block (BlockingConnection), as AWS's client's do: code that runs after an answer (a
// log line, process.exit) runs after the platform has the answer.
class RuntimeApi {
  constructor(address) {
    const colon = address.lastIndexOf(':');
    this.host = address.slice(0, colon);
    this.port = Number(address.slice(colon + 1));
    // The long poll for the next invocation keeps the event loop alive while it waits.
    this.connection = new Connection(this.host, this.port);
    this.agent = new http.Agent({ keepAlive: true, maxSockets: 1 }); // for streamed responses
    this.posts = new BlockingConnection(this.host, this.port);
    this.posts.open(); // connected while the handler loads
  }

  // The next invocation: {event (JSON text), headers}.
  async next() {
    const answer = await this.connection.request('GET', API + '/invocation/next');
    if (answer.status !== 200)
      throw new Error(`Failed to get next invocation: HTTP ${answer.status}`);
    return { event: answer.body.toString('utf8'), headers: answer.headers };
  }

  // POSTs body and returns once the answer has arrived: {status} or {error}. So early in the
  // process that the blocking connection is not open yet (an init error), the post is made on the
  // other connection instead: {pending}, a promise of its answer.
  post(route, body, headers = {}) {
    const sent = { 'Content-Type': 'application/json' };
    for (const [name, value] of Object.entries(headers))
      if (headerValue(value) !== undefined)
        sent[name] = value;
    if (!this.posts.ready())
      return { pending: this.connection.request('POST', API + route, sent, body) };
    try {
      return { status: this.posts.request('POST', API + route, sent, body).status };
    } catch (e) {
      return { error: e.message };
    }
  }

  // A streamed response for invocation id (spec 8): a chunked POST whose trailers carry an error
  // that happens after streaming began. Returns {request, answered} (answered: a promise of the
  // Runtime API's answer, once the request has ended).
  openStream(id) {
    let request;
    const answered = new Promise((resolve, reject) => {
      request = http.request({
        host: this.host, port: this.port, method: 'POST', agent: this.agent,
        path: `${API}/invocation/${encodeURIComponent(id)}/response`,
        headers: {
          'Lambda-Runtime-Function-Response-Mode': 'streaming',
          'Transfer-Encoding': 'chunked',
          Trailer: ['Lambda-Runtime-Function-Error-Type', 'Lambda-Runtime-Function-Error-Body'],
          'Content-Type': 'application/octet-stream',
        },
      }, (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode));
        res.on('aborted', reject);
      });
      request.on('error', reject);
    });
    return { request, answered };
  }

  postResult(id, text) {
    return this.post(`/invocation/${encodeURIComponent(id)}/response`, text);
  }

  postError(id, error) {
    const headers = {};
    const cause = xrayCause(error);
    // A header cannot carry every character, nor a megabyte: then the cause is left out.
    if (cause && cause.length < 1024 * 1024)
      headers['Lambda-Runtime-Function-XRay-Error-Cause'] = cause;
    return this.post(`/invocation/${encodeURIComponent(id)}/error`, serialize(errorBody(error)),
                     headers);
  }

  postInitError(error) {
    const body = errorBody(error);
    return this.post('/init/error', serialize(body),
                     { 'Lambda-Runtime-Function-Error-Type': String(body.errorType) });
  }
}

// A result as the response body; what JSON.stringify cannot encode is the function's error.
function serialize(result) {
  try {
    return JSON.stringify(result === undefined ? null : result);
  } catch {
    throw new Error('Unable to stringify response body');
  }
}

// --- which runtime ------------------------------------------------------------------------------

// True for nodejs24.x and later (from AWS_EXECUTION_ENV, which the harness sets as Lambda does):
// there callback-style handlers and the context's callback methods are gone.
// Managed Instances run aws-lambda-ric 4.x on every Node.js version: no callbacks there either.
function callbacksRemoved() {
  const major = /^AWS_Lambda_nodejs(\d+)\.x$/.exec(process.env.AWS_EXECUTION_ENV ?? '')?.[1];
  return managedInstances() || (major !== undefined && Number(major) >= 24);
}

const CALLBACK_HANDLER_MESSAGE = 'ERROR: AWS Lambda has removed support for callback-based ' +
  'function handlers starting with Node.js 24. You need to modify this function to use a ' +
  'supported handler signature to use Node.js 24 or later. For more information see ' +
  'https://docs.aws.amazon.com/lambda/latest/dg/nodejs-handler.html.';

// On nodejs24.x a buffered handler that declares a third (callback) parameter is an init error.
function refuseCallbackHandler(handler) {
  if (callbacksRemoved() && handler.length >= 3 && handler[STREAMING] !== 'response')
    throw new CallbackHandlerDeprecated(CALLBACK_HANDLER_MESSAGE);
}

// --- loading the handler -----------------------------------------------------------------------

const STREAMING = Symbol.for('aws.lambda.runtime.handler.streaming');
const HIGH_WATER_MARK = Symbol.for('aws.lambda.runtime.handler.streaming.highWaterMark');

// Whether the nearest package.json at or above folder says "type": "module" (node_modules
// folders end the search, as do unreadable files).
function folderIsModule(folder) {
  for (;;) {
    if (folder.endsWith('/node_modules'))
      return false;
    const file = path.join(folder, 'package.json');
    if (fs.existsSync(file)) {
      try {
        const pkg = JSON.parse(fs.readFileSync(file));
        if (pkg)
          return pkg.type === 'module';
      } catch (e) {
        console.warn(`${file} cannot be read, it will be ignored for ES module detection purposes.`, e);
        return false;
      }
    }
    if (folder === '/')
      return false;
    folder = path.resolve(folder, '..');
  }
}

const requireIfThere = (file) => (fs.existsSync(file) ? requireFromClient(file) : undefined);
const importIfThere = async (file) => {
  if (!fs.existsSync(file))
    return undefined;
  await installResolveHook(false);
  return import(file);
};

// The module a handler names, tried as Lambda tries it: the exact file, file.js (CommonJS unless
// its package says module), file.mjs, file.cjs, then Node's own resolution from the code folder.
async function loadModule(taskRoot, folder, name) {
  const file = path.resolve(taskRoot, folder, name);
  const exact = requireIfThere(file);
  if (exact)
    return exact;
  const esm = fs.existsSync(file + '.js') && folderIsModule(path.dirname(file + '.js'));
  if (!esm) {
    const js = requireIfThere(file + '.js');
    if (js)
      return js;
  }
  const found = (esm && await importIfThere(file + '.js')) || await importIfThere(file + '.mjs') ||
    requireIfThere(file + '.cjs');
  if (found)
    return found;
  return requireFromClient(requireFromClient.resolve(name, { paths: [taskRoot, folder] }));
}

// ES modules resolve bare specifiers without NODE_PATH; the hook lets them fall back to its
// folders (layers, the runtime's SDK), as on Lambda (see lambdacheck_resolve.mjs). Installed
// once, in-thread where Node has module.registerHooks, else on a hook thread before the first ES
// module is loaded (early: true says which call this is).
let hookInstalled = false;
async function installResolveHook(early) {
  const folders = (process.env.NODE_PATH ?? '').split(':').filter((f) => f !== '');
  const inThread = typeof nodeModule.registerHooks === 'function';
  if (hookInstalled || folders.length === 0 || early !== inThread)
    return;
  hookInstalled = true;
  if (inThread) {
    const { syncResolve } = await import('./lambdacheck_resolve.mjs');
    nodeModule.registerHooks({ resolve: syncResolve(folders) });
  } else if (typeof nodeModule.register === 'function') {
    nodeModule.register('./lambdacheck_resolve.mjs', import.meta.url, { data: { folders } });
  }
}

function installGlobal() {
  const flag = process.env.AWS_LAMBDA_NODEJS_NO_GLOBAL_AWSLAMBDA;
  if (flag === '1' || flag === 'true')
    return;
  globalThis.awslambda = {
    streamifyResponse(handler, options) {
      handler[STREAMING] = 'response';
      if (typeof options?.highWaterMark === 'number')
        handler[HIGH_WATER_MARK] = parseInt(options.highWaterMark);
      return handler;
    },
    HttpResponseStream: class HttpResponseStream {
      static from(stream, prelude) {
        stream.setContentType('application/vnd.awslambda.http-integration-response');
        const head = JSON.stringify(prelude);
        stream._onBeforeFirstWrite = (write) => {
          write(head);
          write(new Uint8Array(8));
        };
        return stream;
      }
    },
  };
}

// Lambda's Node.js runtimes ship the whole AWS SDK for JavaScript v3; lambdacheck gives functions
// a pinned set of its packages. One outside that set fails to load here where Lambda has it: the
// log says so, and how to supply it.
function noteMissingSdk(error) {
  const match = /Cannot find (?:package|module) '(@aws-sdk\/[^'/]+)/.exec(String(error?.message));
  if (match)
    process.stdout.write(`lambdacheck: note: ${match[1]} is part of the AWS SDK that Lambda's ` +
                         'Node.js runtimes ship, but not among the SDK packages lambdacheck gives ' +
                         `this function: bundle it (npm install ${match[1]}) or put it in a ` +
                         "layer's nodejs/node_modules\n");
}

// The handler function "folder/module.export.path" names, below taskRoot.
async function loadHandler(taskRoot, fullName) {
  if (fullName.includes('..'))
    throw new MalformedHandlerName(`'${fullName}' is not a valid handler name. Use absolute ` +
                                   'paths when specifying root directories in handler names.');
  const base = path.basename(fullName);
  const folder = fullName.substring(0, fullName.indexOf(base));
  const dot = base.indexOf('.');
  if (dot < 0)
    throw new MalformedHandlerName('Bad handler');
  installGlobal();
  await installResolveHook(true);
  let module;
  try {
    module = await loadModule(taskRoot, folder, base.slice(0, dot));
  } catch (e) {
    noteMissingSdk(e);
    if (e instanceof SyntaxError)
      throw new UserCodeSyntaxError(e);
    if (e?.code === 'MODULE_NOT_FOUND')
      throw new ImportModuleError(e);
    throw e;
  }
  const handler = base.slice(dot + 1).split('.').reduce((value, key) => value && value[key], module);
  if (!handler)
    throw new HandlerNotFound(`${fullName} is undefined or not exported`);
  if (typeof handler !== 'function')
    throw new HandlerNotFound(`${fullName} is not a function`);
  if (handler[STREAMING] !== undefined && handler[STREAMING] !== null && handler[STREAMING] !== false &&
      handler[STREAMING] !== 'response')
    throw new MalformedStreamingHandler('Only response streaming is supported.');
  return handler;
}

// --- streamed responses ------------------------------------------------------------------------

// The methods and properties of the request a streaming handler may use (a writable stream and
// its events, and setContentType), nothing else of the HTTP request under it.
const STREAM_METHODS = ['cork', 'destroy', 'end', 'uncork', 'write', 'addListener', 'emit',
  'eventNames', 'getMaxListeners', 'listenerCount', 'listeners', 'off', 'on', 'once',
  'prependListener', 'prependOnceListener', 'rawListeners', 'removeAllListeners',
  'removeListener', 'setMaxListeners', 'setContentType'];
const STREAM_SETTABLE = ['destroyed', 'writable', '_onBeforeFirstWrite'];
const STREAM_READABLE = ['writableFinished', 'writableObjectMode', 'writableBuffer', 'writableEnded',
  'writableNeedDrain', 'writableHighWaterMark', 'writableCorked', 'writableLength'];

// The responseStream a handler gets, over the streamed POST, and how to fail it: the error goes
// in the trailers.
function responseStream(request) {
  let written = false;
  request.setContentType = (type) => {
    if (written)
      throw new InvalidStreamingOperation('Cannot set content-type, too late.');
    request.setHeader('Content-Type', type);
  };
  // end() takes one argument (data or a callback) and returns nothing, as AWS's 3.x does (4.x,
  // nodejs24.x's, returns the request's own answer)
  const end = request.end.bind(request);
  request.end = (first) => {
    const ended = end(first);
    return callbacksRemoved() ? ended : undefined;
  };
  const write = request.write.bind(request);
  request.write = function (chunk, encoding, callback) {
    if (typeof chunk !== 'string' && !Buffer.isBuffer(chunk) && chunk?.constructor !== Uint8Array)
      chunk = JSON.stringify(chunk);
    if (!written && typeof this._onBeforeFirstWrite === 'function')
      this._onBeforeFirstWrite((part) => write(part));
    written = true;
    return write(chunk, encoding, callback);
  };
  const stream = Object.fromEntries(STREAM_METHODS.map((name) => [name, request[name].bind(request)]));
  for (const name of STREAM_SETTABLE)
    Object.defineProperty(stream, name, { get: () => request[name],
                                          set: (value) => { request[name] = value; } });
  for (const name of STREAM_READABLE)
    Object.defineProperty(stream, name, { get: () => request[name] });
  const fail = (error) => {
    const body = errorBody(error);
    request.addTrailers({
      'Lambda-Runtime-Function-Error-Type': body.errorType,
      'Lambda-Runtime-Function-Error-Body': Buffer.from(JSON.stringify(body)).toString('base64'),
    });
    end();
  };
  return { stream, fail };
}

// --- one invocation ----------------------------------------------------------------------------

// What runs when the event loop empties: set per invocation (see completion()).
let onEmptyLoop = () => {};

// The parsed value of a JSON header, undefined when absent.
function headerJson(value, what) {
  if (value === undefined)
    return undefined;
  try {
    return JSON.parse(value);
  } catch (e) {
    throw new Error(`Cannot parse ${what} as json: ${e.toString()}`);
  }
}

// The context object: the callback-style methods first, then the function's configuration
// (from the environment, as strings) and the invocation's facts (from the Runtime API's headers).
function contextFields(headers) {
  const deadline = headers['lambda-runtime-deadline-ms'];
  const env = process.env;
  return {
    functionVersion: env.AWS_LAMBDA_FUNCTION_VERSION,
    functionName: env.AWS_LAMBDA_FUNCTION_NAME,
    memoryLimitInMB: env.AWS_LAMBDA_FUNCTION_MEMORY_SIZE,
    logGroupName: env.AWS_LAMBDA_LOG_GROUP_NAME,
    logStreamName: env.AWS_LAMBDA_LOG_STREAM_NAME,
    clientContext: headerJson(headers['lambda-runtime-client-context'], 'ClientContext'),
    identity: headerJson(headers['lambda-runtime-cognito-identity'], 'CognitoIdentity'),
    invokedFunctionArn: headers['lambda-runtime-invoked-function-arn'],
    awsRequestId: headers['lambda-runtime-aws-request-id'],
    tenantId: headers['lambda-runtime-aws-tenant-id'],
    getRemainingTimeInMillis() {
      return deadline - Date.now();
    },
  };
}

// callback, context methods and the way to mark the invocation answered, for invocation id.
// Only the first of the calls to callback, done, succeed and fail that returns counts.
function completion(runtime, id) {
  let answered = false;
  let waitForEmptyLoop = true;
  const reportError = (error) => {
    runtime.logError('Invoke Error', error);
    runtime.api.postError(id, error);
    runtime.schedule();
  };
  const answer = (result) => {
    if (answered) {
      console.error('Invocation has already been reported as done. Cannot call complete more ' +
                    'than once per invocation.');
      return;
    }
    answered = true;
    runtime.api.postResult(id, serialize(result)); // serialize throws before anything is posted
    runtime.schedule();
  };
  const done = (error, result) => {
    onEmptyLoop = () => {};
    if (error !== undefined && error !== null)
      reportError(error);
    else
      answer(result);
  };
  const callback = (error, result) => {
    onEmptyLoop = () => {};
    if (error !== undefined && error !== null)
      reportError(error);
    else if (!waitForEmptyLoop)
      answer(result);
    else
      onEmptyLoop = () => setImmediate(() => answer(result));
  };
  // One flag for all four: after any of them has returned, every later call is ignored.
  let called = false;
  const once = (fn) => (...args) => {
    if (!called) {
      fn(...args);
      called = true;
    }
  };
  const context = {
    get callbackWaitsForEmptyEventLoop() {
      return waitForEmptyLoop;
    },
    set callbackWaitsForEmptyEventLoop(value) {
      waitForEmptyLoop = value;
    },
    succeed: once((result) => done(null, result)),
    fail: once((error) => (error === undefined || error === null ? done('handled') : done(error, null))),
    done: once(done),
  };
  return { callback: once(callback), context, markAnswered: () => { answered = true; } };
}

// The nodejs24.x context: the invocation's facts first, then the function's configuration, with
// the X-Ray trace id, and none of the callback-era methods.
function awaitedContext(headers) {
  const { functionVersion, functionName, memoryLimitInMB, logGroupName, logStreamName,
          getRemainingTimeInMillis, ...invocation } = contextFields(headers);
  return {
    ...invocation, xRayTraceId: headers['lambda-runtime-trace-id'], getRemainingTimeInMillis,
    functionName, functionVersion, memoryLimitInMB, logGroupName, logStreamName,
  };
}

class Runtime {
  constructor(api, handler, logError) {
    this.api = api;
    this.handler = handler;
    this.logError = logError;
    this.onUncaught = (error) => this.exitAfter(() => this.api.postInitError(error), 129);
    this.onRejection = (error) => this.exitAfter(() => this.api.postInitError(error), 128);
  }

  exitAfter(post, status) {
    exitAfter(post, status);
  }

  fatal(error) {
    console.log(`Unexpected Top Level Error: ${error.toString()}`);
    this.onUncaught(error);
  }

  schedule() {
    setImmediate(() => this.invokeOnce().catch((error) => this.fatal(error)));
  }

  // The next invocation, and who answers it.
  async nextInvocation() {
    const { event, headers } = await this.api.next();
    const id = headers['lambda-runtime-aws-request-id'];
    if (!id)
      throw new Error('invocation id is missing or invalid');
    globalThis[REQUEST_ID] = id;
    globalThis[TENANT_ID] = headers['lambda-runtime-aws-tenant-id'];
    this.onUncaught = (error) => this.exitAfter(() => this.api.postError(id, error), 129);
    this.onRejection = (error) => this.exitAfter(() => this.api.postError(id, error), 128);
    if (headers['lambda-runtime-trace-id'])
      process.env._X_AMZN_TRACE_ID = headers['lambda-runtime-trace-id'];
    else
      delete process.env._X_AMZN_TRACE_ID;
    return { event, headers, id };
  }

  invokeOnce() {
    return this.handler[STREAMING] === 'response' ? this.invokeStreaming() : this.invokeBuffered();
  }

  // A streaming handler: (event, responseStream, context), async; what it returns is ignored.
  async invokeStreaming() {
    const invocation = await this.nextInvocation();
    let waitForEmptyLoop = !callbacksRemoved();
    const context = callbacksRemoved() ? {} : {
      get callbackWaitsForEmptyEventLoop() {
        return waitForEmptyLoop;
      },
      set callbackWaitsForEmptyEventLoop(value) {
        waitForEmptyLoop = value;
      },
    };
    const next = () => {
      onEmptyLoop = () => {};
      if (!waitForEmptyLoop)
        this.schedule();
      else
        onEmptyLoop = () => setImmediate(() => this.schedule());
    };
    onEmptyLoop = () => this.schedule();
    await this.answerStreaming(invocation, context, next);
  }

  // Streams one invocation's answer; next() once it is over.
  async answerStreaming({ event, headers, id }, context, next) {
    const { request, answered } = this.api.openStream(id);
    const { stream, fail: failStream } = responseStream(request);
    const fail = (error) => {
      this.logError('Invoke Error', error);
      failStream(error);
      next();
    };
    try {
      const fields = callbacksRemoved() ? awaitedContext(headers) : contextFields(headers);
      const result = this.handler(JSON.parse(event), stream, Object.assign(context, fields));
      if (!result || typeof result.then !== 'function') {
        fail('Streaming does not support non-async handlers.');
        return;
      }
      if (await result !== undefined)
        console.warn('Streaming handlers ignore return values.');
      await answered;
      if (!stream.writableFinished) {
        fail('Response stream is not finished.');
        return;
      }
      next();
    } catch (error) {
      fail(error);
    }
  }

  // nodejs24.x: (event, context) only; the answer is what the handler's promise or value
  // settles to, posted on the next turn, and the next invocation follows at once.
  async invokeAwaited() {
    await this.answerAwaited(await this.nextInvocation());
    this.schedule();
  }

  // Runs one invocation of an (event, context) handler and posts its answer.
  async answerAwaited({ event, headers, id }) {
    const context = awaitedContext(headers);
    let result, failed = false;
    try {
      result = await this.handler(JSON.parse(event), context);
    } catch (error) {
      failed = true;
      result = error;
    }
    await new Promise(setImmediate);
    if (!failed) {
      try {
        result = serialize(result);
      } catch {
        failed = true;
        result = new JSONStringifyError('Unable to stringify response body');
      }
    }
    if (failed) {
      this.logError('Invoke Error', result);
      this.api.postError(id, result);
    } else {
      this.api.postResult(id, result);
    }
  }

  // Managed Instances: asks for the next invocation as soon as one arrives, so this worker runs
  // several at once, each with its request id in invocationStore. A failed /next is tried again
  // after 100 ms, doubling, as AWS's client does.
  async serveConcurrently() {
    for (let failures = 0; ;) {
      let answer;
      try {
        answer = await this.api.next();
        failures = 0;
      } catch (error) {
        if (++failures > 19)
          throw error;
        await new Promise((resolve) => setTimeout(resolve, Math.min(100 * 2 ** (failures - 1), 90000)));
        continue;
      }
      const { event, headers } = answer;
      const id = headers['lambda-runtime-aws-request-id'];
      if (!id)
        throw new Error('invocation id is missing or invalid');
      const invocation = { event, headers, id };
      const store = { id, tenantId: headers['lambda-runtime-aws-tenant-id'] };
      setImmediate(() => invocationStore.run(store, () => {
        const answered = this.handler[STREAMING] === 'response'
          ? this.answerStreaming(invocation, {}, () => {}) : this.answerAwaited(invocation);
        answered.catch((error) => this.fatal(error));
      }));
    }
  }

  async invokeBuffered() {
    if (callbacksRemoved())
      return this.invokeAwaited();
    const { event, headers, id } = await this.nextInvocation();
    const { callback, context, markAnswered } = completion(this, id);
    try {
      // A handler that neither returns a promise nor calls back answers null once the loop empties.
      onEmptyLoop = () => {
        markAnswered();
        this.api.postResult(id, 'null');
        this.schedule();
      };
      const result = this.handler(JSON.parse(event), Object.assign(context, contextFields(headers)),
                                  callback);
      if (result && typeof result.then === 'function')
        result.then(context.succeed, context.fail).catch(context.fail);
    } catch (error) {
      callback(error);
    }
  }
}

// --- Managed Instances --------------------------------------------------------------------------

// AWS_LAMBDA_NODEJS_WORKER_COUNT, else 8 per CPU of the environment (its cgroup's quota, else the
// machine's), as aws-lambda-ric 4.x counts them.
function workerCount() {
  const given = Number.parseInt(process.env.AWS_LAMBDA_NODEJS_WORKER_COUNT ?? '', 10);
  if (given > 0)
    return given;
  let cpus = 1;
  try {
    const [quota, period] = fs.readFileSync('/sys/fs/cgroup/cpu.max', 'utf8').trim().split(/\s+/);
    cpus = quota === 'max' ? os.cpus().length : Math.ceil(Number(quota) / Number(period));
  } catch {
    cpus = 1;
  }
  return 8 * Math.max(1, cpus);
}

// The main thread starts the workers and loads nothing itself; a worker that dies is not
// replaced, and the process ends once none is left.
function startWorkers() {
  let running = workerCount();
  const count = running;
  for (let i = 0; i < count; i++) {
    const worker = new Worker(new URL(import.meta.url), { argv: process.argv.slice(2) });
    worker.on('error', (error) => console.error('Worker error', error));
    worker.on('exit', () => {
      if (--running === 0)
        process.exit(1);
    });
  }
}

// Posts (post() returns what RuntimeApi.post does), then exits with status once it is made.
function exitAfter(post, status) {
  const posted = post();
  if (posted?.pending)
    posted.pending.finally(() => process.exit(status));
  else
    process.exit(status);
}

// --- start-up ----------------------------------------------------------------------------------

// nodejs24.x: a handler that cannot be loaded (or declares a callback) is logged as an "Init
// Error" and posted to /init/error, and the process ends with status 1, as Node ends it for an
// unhandled rejection.
async function loadOrFail(api, logError, taskRoot) {
  try {
    const handler = await loadHandler(taskRoot, process.env._HANDLER ?? '');
    refuseCallbackHandler(handler);
    return handler;
  } catch (error) {
    logError('Init Error', error);
    exitAfter(() => api.postInitError(error), 1);
    return new Promise(() => {}); // never settles: the process is ending
  }
}

async function main() {
  if (managedInstances() && isMainThread) {
    startWorkers();
    return;
  }
  const logError = patchConsole();
  const api = new RuntimeApi(process.env.AWS_LAMBDA_RUNTIME_API);
  let runtime = null;
  const early = {
    onUncaught: (error) => exitAfter(() => api.postInitError(error), 129),
    onRejection: (error) => exitAfter(() => api.postInitError(error), 128),
  };
  // nodejs24.x's client handles neither: Node prints the error and ends the process (status 1),
  // and Lambda reports Runtime.ExitError.
  if (!callbacksRemoved()) {
    process.on('uncaughtException', (error) => {
      logError('Uncaught Exception', error);
      (runtime ?? early).onUncaught(error);
    });
    process.on('unhandledRejection', (reason, promise) => {
      const error = new UnhandledPromiseRejection(reason, promise);
      logError('Unhandled Promise Rejection', error);
      (runtime ?? early).onRejection(error);
    });
  }
  process.on('beforeExit', () => onEmptyLoop());
  // Measuring coverage (check --coverage sets NODE_V8_COVERAGE), the environment is ended with
  // SIGTERM: exiting normally lets V8 write its data. Otherwise, as Lambda's, no handler.
  if (process.env.NODE_V8_COVERAGE)
    process.on('SIGTERM', () => process.exit(0));
  const taskRoot = process.env.LAMBDA_TASK_ROOT || process.cwd();
  const handler = callbacksRemoved() ? await loadOrFail(api, logError, taskRoot)
                                     : await loadHandler(taskRoot, process.env._HANDLER ?? '');
  runtime = new Runtime(api, handler, logError);
  if (managedInstances())
    runtime.serveConcurrently().catch((error) => runtime.fatal(error));
  else
    runtime.schedule();
}

await main();
