// Preload (`node --require ./loopback_only.cjs ...`): this Node process may connect to loopback only.
//
// Every TCP/TLS connection, fetch() included, goes through net.Socket.prototype.connect; a name is
// resolved through dns.lookup. Both throw for any host but 127.0.0.1, localhost and ::1, so a test
// that would reach the internet fails loudly instead. Unix-socket paths (local by nature) are allowed.
// Only connections are checked: a server may listen anywhere.
"use strict";

const dns = require("node:dns");
const net = require("node:net");

const LOOPBACK = new Set(["127.0.0.1", "localhost", "::1", "[::1]", "::ffff:127.0.0.1"]);

// Also written to stderr at once: a caller may swallow the error, the test still sees the attempt.
function refuse(host) {
  const message = `loopback_only.cjs: refused a connection to ${JSON.stringify(host)} (only loopback is allowed)`;
  process.stderr.write(`${message}\n`);
  const error = new Error(message);
  error.code = "ELOOPBACKONLY";
  return error;
}

function check(host) {
  const name = host === undefined || host === null || host === "" ? "localhost" : String(host).toLowerCase();
  if (!LOOPBACK.has(name)) {
    throw refuse(host);
  }
}

// connect(options[, cb]), connect(port[, host][, cb]), connect(path[, cb]), or the internal
// connect([options, cb]) form that net.connect() uses.
function targetHost(args) {
  let first = args[0];
  if (Array.isArray(first)) {
    first = first[0];
  }
  if (first !== null && typeof first === "object") {
    return first.path !== undefined ? null : first.host;
  }
  if (typeof first === "string" && Number.isNaN(Number(first))) {
    return null; // a Unix-socket path
  }
  return typeof args[1] === "string" ? args[1] : undefined;
}

const originalConnect = net.Socket.prototype.connect;
net.Socket.prototype.connect = function connect(...args) {
  const host = targetHost(args);
  if (host !== null) {
    check(host);
  }
  return originalConnect.apply(this, args);
};

const originalLookup = dns.lookup;
dns.lookup = function lookup(hostname, ...rest) {
  check(hostname);
  return originalLookup.call(this, hostname, ...rest);
};

const originalPromisesLookup = dns.promises.lookup;
dns.promises.lookup = function lookup(hostname, ...rest) {
  try {
    check(hostname);
  } catch (error) {
    return Promise.reject(error);
  }
  return originalPromisesLookup.call(this, hostname, ...rest);
};
