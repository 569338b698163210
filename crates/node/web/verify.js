// The proof check in the page: accord's own verification (crates/verify-wasm: the inclusion
// proof and policy of accord-tlog, a release's limit proof of accord-escrow), compiled to
// WebAssembly and served by the node. The glue: write the proof, the policy and a random seed
// into the module's memory (input), run verify, read the JSON result (output_ptr, output_len).
'use strict';

let module = null;

async function load() {
  if (!module) {
    const r = await fetch('/assets/accord_verify.wasm');
    const { instance } = await WebAssembly.instantiate(await r.arrayBuffer(), {});
    module = instance.exports;
  }
  return module;
}

/** Checks a C2SP tlog-proof (with its entry) against a C2SP tlog-policy:
 *  resolves to {ok, message, index, size}. */
export async function verifyProof(proof, policy) {
  let m;
  try {
    m = await load();
  } catch (e) {
    return { ok: false, message: `the WebAssembly check did not load: ${e}` };
  }
  const enc = new TextEncoder();
  // The seed of the limit proof verifier's batching (a release of the freeze carries one).
  const seed = crypto.getRandomValues(new Uint8Array(32));
  for (const bytes of [enc.encode(proof), enc.encode(policy), seed]) {
    const at = m.input(bytes.length);
    new Uint8Array(m.memory.buffer, at, bytes.length).set(bytes);
  }
  try {
    m.verify();
    const out = new Uint8Array(m.memory.buffer, m.output_ptr(), m.output_len());
    return JSON.parse(new TextDecoder().decode(out));
  } catch (e) {
    // A trap (the check never panics by design; should it, the module is reloaded next time).
    module = null;
    return { ok: false, message: `the check failed: ${e}` };
  }
}
