// The proof check in the page: accord-tlog's own verification (crates/verify-wasm), compiled to
// WebAssembly and served by the node. The glue: write the proof and the policy into the
// module's memory (input), run verify, read the JSON result (output_ptr, output_len).
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
  for (const text of [proof, policy]) {
    const bytes = enc.encode(text);
    const at = m.input(bytes.length);
    new Uint8Array(m.memory.buffer, at, bytes.length).set(bytes);
  }
  m.verify();
  const out = new Uint8Array(m.memory.buffer, m.output_ptr(), m.output_len());
  return JSON.parse(new TextDecoder().decode(out));
}
