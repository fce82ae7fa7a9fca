/* lambdacheck: every public header of the harness library. */
#ifndef LAMBDACHECK_H
#define LAMBDACHECK_H

#include "lambdacheck/error.h"
#include "lambdacheck/buf.h"
#include "lambdacheck/json_util.h"
#include "lambdacheck/context.h"
#include "lambdacheck/event.h"

/* The library's version, "MAJOR.MINOR.PATCH". */
const char *lc_version(void);

#endif
