"""hello-python: the Python twin of the Go and Java hello plugins, greet, info and echo, on the
jank-runner Python SDK."""

import json
import os

from jankrunner_sdk import Handler, PluginError, serve

INFO_FIELDS = ("id", "name", "version", "author", "description", "type")


class Hello(Handler):

    def __init__(self, manifest):
        self._manifest = manifest

    def execute(self, method, args):
        if method == "greet":
            name = args.get("name")
            if not isinstance(name, str) or not name.strip():
                raise PluginError("greet needs a string argument 'name'")
            return {"message": f"Hello, {name}!"}
        if method == "info":
            info = {field: self._manifest.get(field) for field in INFO_FIELDS}
            return {**info, "language": "python", "pid": os.getpid()}
        if method == "echo":
            return args
        raise PluginError.unknown_method(method)


if __name__ == "__main__":
    # The runner starts plugins with their own directory as working directory.
    with open("plugin.json", encoding="utf-8") as manifest:
        serve(Hello(json.load(manifest)))
