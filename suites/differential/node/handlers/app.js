// CommonJS handlers for the Node.js differential suite: each export is one behaviour.
'use strict';

exports.echo = async (event) => event;
exports.undefinedResult = async () => undefined;
exports.syncNoReturn = () => {};
exports.syncReturnIgnored = () => 'a plain return value is not the result';
exports.thenable = () => ({ then(resolve) { resolve('from a thenable'); } });

exports.callbackResult = (event, context, callback) => callback(null, { a: 1 });
exports.callbackError = (event, context, callback) => callback(new Error('callback failed'));
exports.callbackString = (event, context, callback) => callback('a plain string error');
exports.callbackLater = (event, context, callback) => setTimeout(() => callback(null, 'late'), 20);
exports.callbackTwice = (event, context, callback) => {
  callback(null, 'first');
  callback(null, 'second');
};
exports.callbackNoWait = (event, context, callback) => {
  context.callbackWaitsForEmptyEventLoop = false;
  setTimeout(() => {}, 600000);
  callback(null, 'did not wait for the timer');
};
exports.callbackWaitsForTimer = (event, context, callback) => {
  setTimeout(() => console.log('timer ran before the answer'), 30);
  callback(null, 'answered after the timer');
};
exports.callbackCircular = (event, context, callback) => {
  const loop = {};
  loop.self = loop;
  callback(null, loop);
};

exports.contextDone = (event, context) => context.done(null, 'done');
exports.contextSucceed = (event, context) => context.succeed({ succeeded: true });
exports.contextFail = (event, context) => context.fail(new Error('failed through context'));
exports.contextFailNothing = (event, context) => context.fail();
exports.contextDoneTwice = (event, context) => {
  context.done(null, 'once');
  context.succeed('twice');
};

exports.asyncTypeError = async () => { throw new TypeError('typed failure'); };
exports.asyncRejectString = () => Promise.reject('rejected with a string');
exports.asyncRejectObject = async () => { throw { code: 42, why: 'an object' }; };
exports.asyncRejectUndefined = () => Promise.reject(undefined);
class MyError extends Error {
  constructor(message) {
    super(message);
    this.name = 'MyError';
    this.extra = 7;
  }
}
exports.customError = async () => { throw new MyError('custom class'); };
exports.errorWithCode = async () => {
  const e = new Error('with a code');
  e.code = 'E42';
  throw e;
};
exports.errorRenamed = async () => {
  const e = new Error('renamed');
  e.name = 'Renamed';
  throw e;
};
exports.errorNoMessage = async () => { throw new Error(); };
exports.errorWithDel = async () => { throw new Error('has a \x7f in it'); };
exports.syncThrow = () => { throw new RangeError('thrown synchronously'); };
exports.throwNull = () => { throw null; };
exports.throwNumber = () => { throw 42; };

exports.circular = async () => {
  const loop = {};
  loop.self = loop;
  return loop;
};
exports.bigint = async () => ({ n: 1n });
exports.largeResult = async () => 'x'.repeat(100000);
exports.unicode = async () => {
  console.log('héllo ✓ 😀');
  return 'héllo ✓ 😀';
};

exports.uncaughtInTimer = () => {
  setTimeout(() => { throw new Error('thrown in a timer'); }, 5);
};
exports.unhandledRejection = async () => {
  Promise.reject(new Error('nobody caught this'));
  await new Promise((resolve) => setTimeout(resolve, 50));
  return 'after the rejection';
};
exports.processExit = () => process.exit(3);

exports.logging = async () => {
  console.log('a %s b %d c %j', 'x', 5, { j: 1 });
  console.info('info', { nested: { deep: { deeper: { deepest: 1 } } } });
  console.warn('warn');
  console.error('error');
  console.debug('debug');
  console.trace('trace');
  console.log('two\nlines');
  console.log();
  console.log([1, 'two', null, undefined]);
  return 'logged';
};
exports.loggingError = async () => {
  console.log(new Error('an error, logged'));
  console.error('with an error:', new TypeError('beside text'));
  return 'logged errors';
};

exports.context = async (event, context) => ({
  functionName: context.functionName,
  functionVersion: context.functionVersion,
  memoryLimitInMB: context.memoryLimitInMB,
  invokedFunctionArn: context.invokedFunctionArn,
  awsRequestId: context.awsRequestId,
  logGroupName: context.logGroupName,
  logStreamName: context.logStreamName,
  identity: context.identity,
  clientContext: context.clientContext,
  remainingIsPositive: context.getRemainingTimeInMillis() > 0,
  waits: context.callbackWaitsForEmptyEventLoop,
  keys: Object.keys(context),
});
exports.contextSerialised = async (event, context) => JSON.parse(JSON.stringify(context));

exports.environment = async () => {
  const e = process.env;
  return {
    AWS_EXECUTION_ENV: e.AWS_EXECUTION_ENV, LAMBDA_TASK_ROOT: e.LAMBDA_TASK_ROOT,
    _HANDLER: e._HANDLER, AWS_LAMBDA_FUNCTION_NAME: e.AWS_LAMBDA_FUNCTION_NAME,
    traceSet: typeof e._X_AMZN_TRACE_ID === 'string', cwd: process.cwd(),
    awslambda: typeof awslambda, streamify: typeof awslambda?.streamifyResponse,
    httpStream: typeof awslambda?.HttpResponseStream?.from,
    consoleFatal: typeof console.fatal,
  };
};

let calls = 0;
exports.counter = async () => ++calls;

exports.nested = { deeper: { handler: async () => 'nested export' } };
exports.notAFunction = 42;

exports.succeedThenExit = (event, context) => {
  context.succeed('answered before the exit');
  process.exit(0);
};

// Managed Instances: invocations at once in one worker share its globals.
let inFlight = 0;
exports.sharedCounter = async () => {
  inFlight++;
  await new Promise((resolve) => setTimeout(resolve, 100));
  const seen = inFlight;
  await new Promise((resolve) => setTimeout(resolve, 100));
  inFlight--;
  return { seen };
};
