// Starts AWS's Node.js runtime interface client (aws-lambda-ric 3.x or 4.x, from npm, folder in
// $LAMBDACHECK_AWS_LAMBDA_RIC) the way Lambda's managed runtime starts it: 3.x by run(task root,
// handler), 4.x by importing it. When its native transport (rapid-client.node, a libcurl addon that
// .ci/install-deps --test builds when the machine can) is there, everything is AWS's. Without it,
// reference_transport.mjs, preloaded with node --import, stands in for that one module.
import fs from 'node:fs';
import path from 'node:path';

// 3.x keeps its code and addon in dist/ and exports run(); 4.x keeps them at the package's root,
// and its index.mjs starts the runtime when imported.
const ric = process.env.LAMBDACHECK_AWS_LAMBDA_RIC;
const v3 = fs.existsSync(path.join(ric, 'dist', 'index.mjs'));
const code = v3 ? path.join(ric, 'dist') : ric;
const client = await import(path.join(code, 'index.mjs'));
if (v3)
  await client.run(process.env.LAMBDA_TASK_ROOT, process.env._HANDLER);
