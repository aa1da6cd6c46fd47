// Runs @digitalcredentials/verifier-core, as shipped (its own document
// loader, suites and status checker), on OB 3.0 credentials and prints one
// JSON line per file:
//
//   {"file", "signature", "expiration", "revocation", "registry", "errors"}
//
// signature/expiration/revocation are "valid", "invalid" or "not checked";
// registry is always "not checked": no registry list is given, since its
// lookup needs the network (the DCC registries are on github.io). schema
// is verifier-core's JSON Schema check of credentialSchema, which fetches
// the 1EdTech schema from purl.imsglobal.org: "not checked" offline (it
// then prints its fetch error on stderr).
//
//   node verify.mjs FILE...
//
// Exit 0 when every file is valid on signature, expiration and
// revocation, 1 otherwise, 2 on bad usage. It fetches what the credential
// names (keys, controller documents, status lists) over HTTP, so run it
// against a live server whose public URL is reachable from here.
import {readFile} from 'node:fs/promises';
import {verifyCredential} from '@digitalcredentials/verifier-core';

// verifier-core logs (its failed schema fetch) with console.log: keep
// stdout for the results.
console.log = (...args) => console.error(...args);

const files = process.argv.slice(2);
if(!files.length) {
  console.error('usage: node verify.mjs FILE...');
  process.exit(2);
}

function step(log, id) {
  const e = (log ?? []).find(x => x.id === id);
  if(!e) return 'not checked';
  if(e.error) return 'invalid';
  return e.valid ? 'valid' : 'invalid';
}

function schemaOutcome(res) {
  const e = (res.additionalInformation ?? []).find(x => x.id === 'schema_check');
  if(!e) return 'not checked';
  if(typeof e.results === 'string' && e.results.includes('not a valid url')) return 'not checked';
  return JSON.stringify(e.results);
}

let allValid = true;
for(const file of files) {
  const credential = JSON.parse(await readFile(file, 'utf8'));
  const res = await verifyCredential({credential, knownDIDRegistries: []});
  if(res.errors) {
    // what lies under the verdict, for the person reading a failure
    for(const e of res.errors) console.error(`${file}: ${e.name}: ${e.message}`, e.stackTrace ?? '');
  }
  const out = {
    file,
    signature: res.errors ? 'invalid' : step(res.log, 'valid_signature'),
    expiration: res.errors ? 'not checked' : step(res.log, 'expiration'),
    revocation: res.errors ? 'not checked' : step(res.log, 'revocation_status'),
    registry: 'not checked',
    schema: schemaOutcome(res),
    errors: (res.errors ?? []).map(e => `${e.name}: ${e.message}`)
      .concat((res.log ?? []).filter(e => e.error).map(e => `${e.id}: ${e.error.name}: ${e.error.message}`))
  };
  if(!res.errors && !credential.credentialStatus) out.revocation = 'not checked';
  const ok = out.signature === 'valid' && out.expiration === 'valid' &&
    (out.revocation === 'valid' || !credential.credentialStatus);
  allValid = allValid && ok;
  process.stdout.write(JSON.stringify(out) + '\n');
}
process.exit(allValid ? 0 : 1);
