"""The jank-runner Python plugin SDK: ``serve(handler)`` from a plugin's main is all it needs.

    from jankrunner_sdk import PluginError, serve

    def execute(method, args):
        if method == "greet":
            return {"message": f"Hello, {args['name']}!"}
        raise PluginError.unknown_method(method)

    serve(execute)

A handler is a function ``execute(method, args) -> dict`` or an object with that method (and
optionally ``healthy() -> bool``). ``args`` and the result are JSON objects as dicts.
"""

from .server import Handler, PluginError, serve

__all__ = ["Handler", "PluginError", "serve"]
