"""A team's own HTTP test, written with Python's urllib against the endpoints serve wrote:
prints one JSON line per request (status, a few headers, body)."""
import json
import sys
import urllib.error
import urllib.request

endpoints = json.load(open(sys.argv[1]))
shop = endpoints["apis"]["ShopApi"]
public = endpoints["apis"]["PublicApi"]
stream = endpoints["functionUrls"]["StreamFunction"]


def call(url, method="GET", body=None, headers=None):
    req = urllib.request.Request(url, data=body, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            status, hdrs, data = r.status, r.headers, r.read()
    except urllib.error.HTTPError as e:
        status, hdrs, data = e.code, e.headers, e.read()
    print(json.dumps({"url": url[len("http://127.0.0.1:"):].split("/", 1)[-1], "method": method,
                      "status": status, "type": hdrs.get("Content-Type"),
                      "error": hdrs.get("x-amzn-ErrorType"), "body": data.decode("latin-1")}))


call(shop + "/items")
call(shop + "/items", "POST", b'{"name": "mug"}', {"Content-Type": "application/json"})
call(shop + "/nothing/here")
call(public + "/items/2")
call(public + "/nothing")
call(shop + "/orders", headers={"Authorization": "Bearer good"})
call(stream + "/anything")
