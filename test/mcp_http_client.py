#!/usr/bin/env python3
"""mcp_http_client.py - MCP clients over Streamable HTTP, for the tests.

usage: mcp_http_client.py URL many CLIENTS CALLS [TOKEN]
    CLIENTS legacy sessions, each making CALLS concurrent tools/call
    requests (ids 1..CALLS in every session, a progress token of its
    own on each, answered as SSE). Prints one JSON line per call:
    {"client","call","session","status","type","id","text","tokens",
    "events"} where tokens are the progress tokens seen on that stream.

usage: mcp_http_client.py URL call ARGS_JSON [TOKEN]
    One session; a tools/call with ARGS_JSON and a progress token.
    Prints every SSE event's message, one per line, then {"_status":N}.
"""
import http.client
import json
import sys
import threading
import urllib.parse

HEADERS = {"Content-Type": "application/json",
           "Accept": "application/json, text/event-stream"}


def post(url, msg, session=None, token=None, timeout=120):
    u = urllib.parse.urlsplit(url)
    c = http.client.HTTPConnection(u.hostname, u.port, timeout=timeout)
    h = dict(HEADERS)
    if session:
        h["Mcp-Session-Id"] = session
        h["MCP-Protocol-Version"] = "2025-11-25"
    if token:
        h["Authorization"] = "Bearer " + token
    c.request("POST", u.path, json.dumps(msg), h)
    r = c.getresponse()
    body = r.read().decode()
    c.close()
    msgs = []
    if r.getheader("Content-Type", "").startswith("text/event-stream"):
        for block in body.split("\n\n"):
            data = [l[6:] for l in block.split("\n") if l.startswith("data: ")]
            if data:
                msgs.append(json.loads("\n".join(data)))
    elif body:
        msgs.append(json.loads(body))
    return r.status, r.getheader("Content-Type"), \
        r.getheader("Mcp-Session-Id"), msgs


def initialize(url, token):
    st, _, sid, msgs = post(url, {"jsonrpc": "2.0", "id": 0,
                                  "method": "initialize", "params": {
                                      "protocolVersion": "2025-11-25",
                                      "capabilities": {}}}, token=token)
    post(url, {"jsonrpc": "2.0", "method": "notifications/initialized"},
         sid, token)
    return sid


def call_msg(i, args, tok):
    return {"jsonrpc": "2.0", "id": i, "method": "tools/call",
            "params": {"name": "intelligent_code_gen", "arguments": args,
                       "_meta": {"progressToken": tok}}}


def many(url, clients, calls, token):
    lock = threading.Lock()
    out = []

    def one(cl, sid, k):
        tok = "c%d-k%d" % (cl, k)
        args = {"task": "add two numbers mock-delay-ms=300 (%s)" % tok,
                "language": "python"}
        st, ctype, _, msgs = post(url, call_msg(k, args, tok), sid, token)
        resp = [m for m in msgs if "method" not in m]
        toks = sorted({m["params"]["progressToken"] for m in msgs
                       if m.get("method") == "notifications/progress"})
        r = resp[0] if len(resp) == 1 else {}
        text = r.get("result", {}).get("content", [{}])[0].get("text", "")
        with lock:
            out.append({"client": cl, "call": k, "session": sid,
                        "status": st, "type": ctype, "id": r.get("id"),
                        "text": text[:8], "tokens": toks,
                        "events": len(msgs), "responses": len(resp)})

    sids = [initialize(url, token) for _ in range(clients)]
    ts = [threading.Thread(target=one, args=(cl, sids[cl], k))
          for cl in range(clients) for k in range(1, calls + 1)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    for o in sorted(out, key=lambda o: (o["client"], o["call"])):
        print(json.dumps(o))


def main():
    url, mode = sys.argv[1], sys.argv[2]
    if mode == "many":
        token = sys.argv[5] if len(sys.argv) > 5 else None
        many(url, int(sys.argv[3]), int(sys.argv[4]), token)
    else:
        token = sys.argv[4] if len(sys.argv) > 4 else None
        sid = initialize(url, token)
        st, ctype, _, msgs = post(url, call_msg(1, json.loads(sys.argv[3]),
                                                "tok"), sid, token)
        for m in msgs:
            print(json.dumps(m))
        print(json.dumps({"_status": st, "_type": ctype}))


main()
