'use strict';
// The Node twin of the Go and Java hello plugins: greet, info and echo.
const fs = require('node:fs');
const { serve, PluginError } = require('@jank-runner/plugin-sdk');

const INFO_FIELDS = ['id', 'name', 'version', 'author', 'description', 'type'];

// The runner starts a plugin with its own directory as working directory.
function info() {
  const manifest = JSON.parse(fs.readFileSync('plugin.json', 'utf8'));
  const fields = Object.fromEntries(INFO_FIELDS.map((field) => [field, manifest[field] ?? null]));
  return { ...fields, language: 'node', pid: process.pid };
}

serve(async (method, args) => {
  switch (method) {
    case 'greet':
      if (typeof args.name !== 'string' || args.name.trim() === '') {
        throw new PluginError("greet needs a string argument 'name'");
      }
      return { message: `Hello, ${args.name}!` };
    case 'info':
      return info();
    case 'echo':
      return args;
    default:
      throw PluginError.unknownMethod(method);
  }
});
