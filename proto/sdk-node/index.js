'use strict';
// The server side of the go-plugin handshake for Node plugins: serve(handler) is all a plugin
// needs. The Node twin of the Java SDK's PluginServer: same cookie, same handshake line, same
// socket directory rules, same auto-mTLS, same error statuses.
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { Console } = require('node:console');
const grpc = require('@grpc/grpc-js');
const protoLoader = require('@grpc/proto-loader');
const { HealthImplementation } = require('grpc-health-check');
const values = require('./lib/values');

const MAGIC_COOKIE_KEY = 'JANK_PLUGIN';
const MAGIC_COOKIE_VALUE = 'jank-plugin';
const CORE_PROTOCOL_VERSION = 1;
const APP_PROTOCOL_VERSION = 1;
/** The health service name go-plugin registers; hosts probe it. */
const HEALTH_SERVICE = 'plugin';
// SIGTERM lets in-flight calls finish for this long, then cancels them: the host's own stop
// grace is about as long, after which it sends SIGKILL anyway.
const STOP_GRACE_MS = 5000;
// The contract itself, read where the Java build compiles it from: one plugin.proto for every SDK.
const PLUGIN_PROTO = path.join(__dirname, '..', 'src', 'main', 'proto', 'plugin.proto');

/** How an error travels as a gRPC status; the message is kept either way. */
const Kind = Object.freeze({
  INVALID_ARGUMENT: 'INVALID_ARGUMENT',
  NOT_FOUND: 'NOT_FOUND',
  FAILED_PRECONDITION: 'FAILED_PRECONDITION',
  UNIMPLEMENTED: 'UNIMPLEMENTED',
  INTERNAL: 'INTERNAL',
});

/**
 * An error a plugin reports to its caller: the host answers PLUGIN_ERROR with this message.
 * Any other thrown error is answered as INTERNAL with its message.
 */
class PluginError extends Error {
  constructor(message, kind = Kind.INVALID_ARGUMENT) {
    super(message);
    if (!Object.hasOwn(Kind, kind)) {
      throw new TypeError(`unknown PluginError kind '${kind}', expected one of ${Object.keys(Kind).join(', ')}`);
    }
    this.name = 'PluginError';
    this.kind = kind;
  }

  /** The error for a method this plugin does not have. */
  static unknownMethod(method) {
    return new PluginError(`unknown method '${method}'`, Kind.UNIMPLEMENTED);
  }
}

/**
 * Serves `handler` until the host stops this process. `handler` is either
 * `async (method, args) => data` or an object `{ execute(method, args), healthy?() }`; `args`
 * and the returned `data` are plain JSON objects. Calls run concurrently (each one is a
 * promise; a handler that blocks the event loop blocks them all).
 */
function serve(handler) {
  const plugin = typeof handler === 'function' ? { execute: handler } : handler;
  if (!plugin || typeof plugin.execute !== 'function') {
    throw new TypeError('serve(handler): handler must be a function (method, args) => data or have an execute method');
  }
  if (process.env[MAGIC_COOKIE_KEY] !== MAGIC_COOKIE_VALUE) {
    process.stderr.write('This program is a jank-runner plugin. It is not meant to be run directly:'
      + ' start it through the runner (scripts/runner plugins exec ID METHOD).\n');
    process.exit(1);
  }
  const versions = (process.env.PLUGIN_PROTOCOL_VERSIONS || '').trim();
  if (versions && !versions.split(',').map((v) => v.trim()).includes(String(APP_PROTOCOL_VERSION))) {
    process.stderr.write(`The host speaks plugin protocol versions ${versions}; this plugin speaks ${APP_PROTOCOL_VERSION}.\n`);
    process.exit(1);
  }
  // The handshake line must be the first thing on stdout: whatever the plugin logs through
  // console goes to stderr, which the host drains into its own log.
  const handshakeOut = process.stdout;
  globalThis.console = new Console({ stdout: process.stderr, stderr: process.stderr });
  start(plugin).then(({ server, socketDir, socket, serverCert, health }) => {
    handshakeOut.write(`${CORE_PROTOCOL_VERSION}|${APP_PROTOCOL_VERSION}|unix|${socket}|grpc|${serverCert}\n`);
    stopOnSignals(server, health, socketDir);
    exitWhenHostIsGone();
  }).catch((e) => {
    process.stderr.write(`plugin failed to start: ${e && e.stack ? e.stack : e}\n`);
    process.exit(1);
  });
}

async function start(plugin) {
  const socketDir = privateSocketDir();
  const socket = path.join(socketDir, 'plugin.sock');
  const definition = protoLoader.loadSync(PLUGIN_PROTO, { keepCase: true, defaults: false });
  const { PluginService } = grpc.loadPackageDefinition(definition).plugin;
  const server = new grpc.Server();
  server.addService(PluginService.service, {
    Execute: (call, callback) => execute(plugin, call.request, callback),
    HealthCheck: (call, callback) => healthCheck(plugin, callback),
  });
  const health = new HealthImplementation({ '': 'SERVING', [HEALTH_SERVICE]: 'SERVING' });
  health.addToServer(server);
  let credentials = grpc.ServerCredentials.createInsecure();
  let serverCert = '';
  // auto-mTLS, as go-plugin does it: the host's certificate in the environment means "TLS, and
  // only that client"; ours goes back in the handshake.
  const clientCert = (process.env.PLUGIN_CLIENT_CERT || '').trim();
  if (clientCert) {
    const { ephemeralCertificate } = require('./lib/certificate');
    const cert = await ephemeralCertificate();
    credentials = grpc.ServerCredentials.createSsl(Buffer.from(clientCert + '\n'),
      [{ private_key: Buffer.from(cert.keyPem), cert_chain: Buffer.from(cert.certPem) }], true);
    serverCert = cert.handshakeField;
  }
  await new Promise((resolve, reject) => server.bindAsync(`unix:${socket}`, credentials,
    (error) => (error ? reject(error) : resolve())));
  return { server, socketDir, socket, serverCert, health };
}

async function execute(plugin, request, callback) {
  let args;
  try {
    args = values.fromAnyMap(request.args);
  } catch (e) {
    callback({ code: grpc.status.INVALID_ARGUMENT, details: e.message });
    return;
  }
  try {
    const data = await plugin.execute(request.method, args);
    callback(null, { data: values.toAnyMap(data) });
  } catch (e) {
    callback(errorStatus(e));
  }
}

function errorStatus(e) {
  if (e instanceof PluginError) {
    return { code: grpc.status[e.kind], details: e.message };
  }
  const message = e instanceof Error ? `${e.name}: ${e.message}` : String(e);
  return { code: grpc.status.INTERNAL, details: message };
}

async function healthCheck(plugin, callback) {
  let healthy = true;
  try {
    healthy = typeof plugin.healthy === 'function' ? Boolean(await plugin.healthy()) : true;
  } catch (e) {
    healthy = false;
  }
  callback(null, { status: healthy ? 'healthy' : 'unhealthy' });
}

/** A directory only this user can enter (mkdtemp makes it 0700), so no other user can connect. */
function privateSocketDir() {
  const base = (process.env.PLUGIN_UNIX_SOCKET_DIR || '').trim() || os.tmpdir();
  return fs.mkdtempSync(path.join(base, 'plugin'));
}

// SIGTERM (the host's stop) and SIGINT: refuse new calls, let in-flight ones finish, then exit 0.
function stopOnSignals(server, health, socketDir) {
  let stopping = false;
  const stop = (signal) => {
    if (stopping) {
      return;
    }
    stopping = true;
    health.setStatus('', 'NOT_SERVING');
    health.setStatus(HEALTH_SERVICE, 'NOT_SERVING');
    const force = setTimeout(() => {
      process.stderr.write(`calls still running ${STOP_GRACE_MS} ms after ${signal}; cancelling them\n`);
      server.forceShutdown();
    }, STOP_GRACE_MS);
    force.unref();
    server.tryShutdown(() => {
      clearTimeout(force);
      fs.rmSync(socketDir, { recursive: true, force: true });
      process.exit(0);
    });
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}

// The host normally kills us (SIGTERM, or the kernel's parent-death signal); this covers a host
// that started us without one and then vanished: we are reparented, so our parent pid changes.
function exitWhenHostIsGone() {
  const host = process.ppid;
  setInterval(() => {
    if (process.ppid !== host) {
      process.stderr.write(`host process ${host} is gone; plugin exiting\n`);
      process.exit(0);
    }
  }, 1000).unref();
}

module.exports = { serve, PluginError, Kind, HEALTH_SERVICE, values };
