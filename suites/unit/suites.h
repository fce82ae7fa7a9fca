/* The unit suites: one per harness module, each in test_<module>.c. */
#ifndef LC_UNIT_SUITES_H
#define LC_UNIT_SUITES_H

#include <check.h>

#define LC_UNIT_SUITES(X) X(error) X(buf) X(json_util) X(context) X(event) X(runtime_api) X(emulator) X(invoke_server) X(sigv4) X(target) X(contracts) X(expect) X(http_server) X(python_runtime) X(template) X(event_generate) X(eventstream) X(runtime) X(installer) X(aws_endpoint) X(event_filter) X(sqs_mapping) X(stream_mapping) X(mapping_serve) X(gateway) X(concurrency) X(fast_start)

#define LC__DECLARE_SUITE(name) Suite *name##_suite(void);
LC_UNIT_SUITES(LC__DECLARE_SUITE)
#undef LC__DECLARE_SUITE

#endif
