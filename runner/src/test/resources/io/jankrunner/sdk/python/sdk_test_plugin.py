"""A plugin on the Python SDK for the SDK's tests: echo, pid, meet, sleep, errors of each kind."""

import os
import pathlib
import threading
import time

import grpc

from jankrunner_sdk import PluginError, serve


_barriers = {}
_barriers_lock = threading.Lock()


def execute(method, args):
    if method == "echo":
        return args
    if method == "pid":
        return {"pid": os.getpid()}
    if method == "meet":
        # Returns only once `parties` calls are in here at the same time: proof that calls run
        # concurrently, without timing anything.
        with _barriers_lock:
            barrier = _barriers.setdefault(args["parties"], threading.Barrier(args["parties"], timeout=60))
        barrier.wait()
        return {"met": args["parties"]}
    if method == "sleep":
        if "started_file" in args:
            pathlib.Path(args["started_file"]).touch()
        time.sleep(args["ms"] / 1000)
        return {"slept": args["ms"], "pid": os.getpid()}
    if method == "fail":
        raise PluginError(args["message"], grpc.StatusCode[args.get("code", "INVALID_ARGUMENT")])
    if method == "crash":
        raise RuntimeError("a bug in the handler: " + args["message"])
    if method == "not-json":
        return {"set": {1, 2}}
    raise PluginError.unknown_method(method)


if __name__ == "__main__":
    serve(execute)
