"""{{ID}}: answers `hello` with a greeting. Add methods to execute."""

from jankrunner_sdk import Handler, PluginError, serve


class Plugin(Handler):
    # Calls arrive concurrently, on a thread pool: keep shared state safe for that.

    def execute(self, method, args):
        if method == "hello":
            name = args.get("name")
            if not isinstance(name, str) or not name.strip():
                name = "world"
            return {"message": f"Hello, {name}!"}
        raise PluginError.unknown_method(method)


if __name__ == "__main__":
    # The runner starts a plugin with its own directory as working directory.
    serve(Plugin())
