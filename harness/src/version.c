#include "lambdacheck/lambdacheck.h"

#ifndef LAMBDACHECK_VERSION
#define LAMBDACHECK_VERSION "0.0.0"
#endif

const char *lc_version(void)
{
    return LAMBDACHECK_VERSION;
}
