'use strict';
// {{ID}}: answers `hello` with a greeting. Add methods to the switch.
const { serve, PluginError } = require('@jank-runner/plugin-sdk');

serve(async (method, args) => {
  switch (method) {
    case 'hello': {
      const name = typeof args.name === 'string' && args.name.trim() !== '' ? args.name : 'world';
      return { message: `Hello, ${name}!` };
    }
    default:
      throw PluginError.unknownMethod(method);
  }
});
