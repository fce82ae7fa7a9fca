/* lambdacheck: every public header of the harness library. */
#ifndef LAMBDACHECK_H
#define LAMBDACHECK_H

#include "lambdacheck/error.h"
#include "lambdacheck/buf.h"
#include "lambdacheck/eventstream.h"
#include "lambdacheck/json_util.h"
#include "lambdacheck/context.h"
#include "lambdacheck/runtime.h"
#include "lambdacheck/event.h"
#include "lambdacheck/event_filter.h"
#include "lambdacheck/sqs_mapping.h"
#include "lambdacheck/stream_mapping.h"
#include "lambdacheck/install.h"
#include "lambdacheck/installer.h"
#include "lambdacheck/function.h"
#include "lambdacheck/template.h"
#include "lambdacheck/runtime_api.h"
#include "lambdacheck/environment.h"
#include "lambdacheck/emulator.h"
#include "lambdacheck/aws_endpoint.h"
#include "lambdacheck/invoke_server.h"
#include "lambdacheck/gateway.h"
#include "lambdacheck/credentials.h"
#include "lambdacheck/client.h"
#include "lambdacheck/sigv4.h"
#include "lambdacheck/target.h"
#include "lambdacheck/expect.h"
#include "lambdacheck/contracts.h"
#include "lambdacheck/concurrency.h"
#include "lambdacheck/runner.h"
#include "lambdacheck/report.h"
#include "lambdacheck/handler_coverage.h"

/* The library's version, "MAJOR.MINOR.PATCH". */
const char *lc_version(void);

#endif
