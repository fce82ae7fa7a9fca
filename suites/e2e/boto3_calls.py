"""Calls a lambdacheck serve endpoint with boto3, as an application would, and prints what the
SDK saw as one JSON object. Usage: python3 boto3_calls.py PORT FUNCTION
The function must echo its event, and raise for {"fail": true} (probes.echo_or_fail)."""

import base64
import json
import sys

import boto3

port, function = sys.argv[1], sys.argv[2]
client = boto3.client(
    "lambda",
    endpoint_url="http://127.0.0.1:%s" % port,
    region_name="us-east-1",
    aws_access_key_id="test",
    aws_secret_access_key="test",
)
seen = {}
r = client.invoke(FunctionName=function, Payload=b'{"sdk": "boto3"}', LogType="Tail")
seen["sync"] = {
    "status": r["StatusCode"],
    "payload": json.loads(r["Payload"].read()),
    "version": r.get("ExecutedVersion"),
    "log_has_report": "REPORT RequestId: " in base64.b64decode(r["LogResult"]).decode(),
}
r = client.invoke(FunctionName=function, Payload=b'{"fail": true}')
seen["error"] = {
    "status": r["StatusCode"],
    "function_error": r.get("FunctionError"),
    "payload": json.loads(r["Payload"].read()),
}
r = client.invoke(FunctionName=function, InvocationType="Event", Payload=b'{"later": true}')
seen["event"] = {"status": r["StatusCode"], "payload": r["Payload"].read().decode()}
r = client.invoke(FunctionName=function, InvocationType="DryRun")
seen["dry_run"] = {"status": r["StatusCode"]}
try:
    client.invoke(FunctionName="no-such-function", Payload=b"{}")
    seen["missing"] = "no error"
except client.exceptions.ResourceNotFoundException as exc:
    seen["missing"] = exc.response["Error"]["Message"]
print(json.dumps(seen))
