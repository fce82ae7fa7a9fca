// Streaming handlers (awslambda.streamifyResponse) for the Node.js differential suite.
const pause = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

export const text = awslambda.streamifyResponse(async (event, responseStream) => {
  responseStream.setContentType('text/plain');
  responseStream.write('first ');
  await pause(20);
  responseStream.write('second');
  responseStream.end();
});

export const http = awslambda.streamifyResponse(async (event, responseStream) => {
  const stream = awslambda.HttpResponseStream.from(responseStream, {
    statusCode: 201, headers: { 'x-custom': 'yes' }, cookies: ['a=1'],
  });
  stream.write('<h1>streamed</h1>');
  stream.end();
});

export const objects = awslambda.streamifyResponse(async (event, responseStream) => {
  responseStream.write({ an: 'object' });
  responseStream.write(new Uint8Array([104, 105]));
  responseStream.end();
});

export const failsMidway = awslambda.streamifyResponse(async (event, responseStream) => {
  responseStream.write('partial ');
  await pause(10);
  throw new TypeError('failed after streaming began');
});

export const returnsValue = awslambda.streamifyResponse(async (event, responseStream) => {
  responseStream.end('done');
  return 'ignored';
});

export const notAsync = awslambda.streamifyResponse((event, responseStream) => {
  responseStream.end('sync');
});

export const contentTypeTooLate = awslambda.streamifyResponse(async (event, responseStream) => {
  responseStream.write('x');
  responseStream.setContentType('text/html');
  responseStream.end();
});

export const context = awslambda.streamifyResponse(async (event, responseStream, context) => {
  responseStream.end(JSON.stringify({ name: context.functionName, id: context.awsRequestId,
                                      waits: context.callbackWaitsForEmptyEventLoop }));
});

export const doubleStreamify = awslambda.streamifyResponse(awslambda.streamifyResponse(
  async (event, responseStream) => responseStream.end('twice marked')));
