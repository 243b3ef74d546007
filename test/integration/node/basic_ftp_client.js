// basic_ftp_client.js: drive Node's basic-ftp (build/node, pinned in
// package-lock.json) against ftpd for the integration tests.
//
//   node basic_ftp_client.js SPEC.json
//
// SPEC: {"host", "port", "user", "password", "secure": "explicit" |
// "implicit", "ca": PEM path, "tls": "1.2" | "1.3" | null, "uploads": [[local,
// remote], ...], "downloads": [[remote, local], ...], "rename": [from, to] |
// null, "remove": [remote, ...], "verbose": bool}
// Steps, in order: log in, upload each file, list, download each file,
// rename, remove, list again.  The server's certificate is verified against
// "ca" (never with verification off).  Prints one JSON line on stdout:
// {"ok": true, "list": [[name, size], ...], "list_after": [...], "tls": ...}
// or {"ok": false, "step": ..., "error": ...}; exit status 0 or 1.
"use strict";

const fs = require("fs");
const ftp = require("basic-ftp");

const VERSIONS = { "1.2": "TLSv1.2", "1.3": "TLSv1.3" };

function entries(list) {
  return list.map(e => [e.name, e.size]).sort();
}

async function run(spec) {
  const client = new ftp.Client(20000);
  const result = { ok: false, step: "access" };
  client.ftp.verbose = !!spec.verbose;
  const secureOptions = { ca: fs.readFileSync(spec.ca) };
  if (spec.tls) {
    secureOptions.minVersion = VERSIONS[spec.tls];
    secureOptions.maxVersion = VERSIONS[spec.tls];
  }
  try {
    await client.access({
      host: spec.host, port: spec.port, user: spec.user, password: spec.password,
      secure: spec.secure === "implicit" ? "implicit" : true, secureOptions,
    });
    result.tls = client.ftp.socket.getProtocol();
    for (const [local, remote] of spec.uploads) {
      result.step = `upload ${remote}`;
      await client.uploadFrom(local, remote);
    }
    result.step = "list";
    result.list = entries(await client.list());
    for (const [remote, local] of spec.downloads) {
      result.step = `download ${remote}`;
      await client.downloadTo(local, remote);
    }
    if (spec.rename) {
      result.step = `rename ${spec.rename[0]}`;
      await client.rename(spec.rename[0], spec.rename[1]);
    }
    for (const remote of spec.remove) {
      result.step = `remove ${remote}`;
      await client.remove(remote);
    }
    result.step = "list again";
    result.list_after = entries(await client.list());
    result.ok = true;
    delete result.step;
  } catch (err) {
    result.error = String(err && err.message ? err.message : err);
  } finally {
    client.close();
  }
  return result;
}

run(JSON.parse(fs.readFileSync(process.argv[2], "utf8"))).then(r => {
  process.stdout.write(JSON.stringify(r) + "\n");
  process.exitCode = r.ok ? 0 : 1;
});
