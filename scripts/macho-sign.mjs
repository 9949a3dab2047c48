// Ad-hoc code signatures for 64-bit Mach-O executables, written and checked in plain JavaScript
// (no codesign outside macOS). macOS runs an ad-hoc signed file only while every page hash in its
// CodeDirectory matches the file; Bun's darwin-x64 output keeps the runtime's original signature,
// which no longer does once the bundle is in, so the build signs it again here.
//
// The signature written is the one Apple's linker writes (and Bun writes for darwin-arm64): a
// SuperBlob holding one CodeDirectory (version 0x20400, flags adhoc|linker-signed, SHA-256 of
// every 4 KiB page up to the signature, the executable segment's bounds), no requirements and no
// CMS blob. It replaces the old one in place: the file is cut at LC_CODE_SIGNATURE's offset, the new
// blob appended, and the load command and __LINKEDIT's sizes updated. Integers in the signature
// are big-endian; the Mach-O header and load commands are little-endian.
//   node scripts/macho-sign.mjs FILE [IDENTIFIER]      signs FILE in place
//   node scripts/macho-sign.mjs --verify FILE...       checks each file's page hashes
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const MH_MAGIC_64 = 0xfeedfacf;
const LC_SEGMENT_64 = 0x19;
const LC_CODE_SIGNATURE = 0x1d;
const CSMAGIC_EMBEDDED_SIGNATURE = 0xfade0cc0;
const CSMAGIC_CODEDIRECTORY = 0xfade0c02;
const CS_ADHOC = 0x2;
const CS_LINKER_SIGNED = 0x20000;
const CS_EXECSEG_MAIN_BINARY = 0x1;
const CS_HASHTYPE_SHA256 = 2;
const PAGE_SHIFT = 12;

/** The load commands this module needs from a thin 64-bit little-endian Mach-O. */
function parse(buf) {
  if (buf.length < 32 || buf.readUInt32LE(0) !== MH_MAGIC_64) throw new Error('not a 64-bit little-endian Mach-O file');
  const filetype = buf.readUInt32LE(12);
  const ncmds = buf.readUInt32LE(16);
  const segments = {};
  let signature;
  let off = 32;
  for (let i = 0; i < ncmds; i++) {
    const cmd = buf.readUInt32LE(off);
    const size = buf.readUInt32LE(off + 4);
    if (cmd === LC_SEGMENT_64) {
      const name = buf.subarray(off + 8, off + 24).toString('latin1').replace(/\0+$/, '');
      segments[name] = {
        at: off,
        vmsize: buf.readBigUInt64LE(off + 32),
        fileoff: Number(buf.readBigUInt64LE(off + 40)),
        filesize: Number(buf.readBigUInt64LE(off + 48)),
      };
    } else if (cmd === LC_CODE_SIGNATURE) {
      signature = { at: off, dataoff: buf.readUInt32LE(off + 8), datasize: buf.readUInt32LE(off + 12) };
    }
    off += size;
  }
  return { filetype, segments, signature };
}

/**
 * Checks the file's embedded signature: a SuperBlob whose CodeDirectory covers the file up to the
 * signature and whose every page hash matches. Returns { ok, reason?, pages?, identifier? }.
 */
export function verifyMachO(buf) {
  let m;
  try {
    m = parse(buf);
  } catch (error) {
    return { ok: false, reason: error.message };
  }
  if (!m.signature) return { ok: false, reason: 'no LC_CODE_SIGNATURE' };
  const { dataoff, datasize } = m.signature;
  if (dataoff + datasize > buf.length) return { ok: false, reason: 'the signature runs past the end of the file' };
  if (buf.readUInt32BE(dataoff) !== CSMAGIC_EMBEDDED_SIGNATURE) return { ok: false, reason: 'no embedded-signature SuperBlob' };
  const count = buf.readUInt32BE(dataoff + 8);
  for (let i = 0; i < count; i++) {
    const type = buf.readUInt32BE(dataoff + 12 + 8 * i);
    const cd = dataoff + buf.readUInt32BE(dataoff + 16 + 8 * i);
    if (type !== 0) continue;
    if (buf.readUInt32BE(cd) !== CSMAGIC_CODEDIRECTORY) return { ok: false, reason: 'slot 0 is not a CodeDirectory' };
    const hashOffset = buf.readUInt32BE(cd + 16);
    const identOffset = buf.readUInt32BE(cd + 20);
    const nCodeSlots = buf.readUInt32BE(cd + 28);
    const codeLimit = buf.readUInt32BE(cd + 32);
    const hashSize = buf[cd + 36];
    const hashType = buf[cd + 37];
    const pageSize = 2 ** buf[cd + 39];
    const algorithm = { 1: 'sha1', 2: 'sha256' }[hashType];
    if (!algorithm) return { ok: false, reason: `hash type ${hashType} is not SHA-1 or SHA-256` };
    if (codeLimit !== dataoff) return { ok: false, reason: `the CodeDirectory covers ${codeLimit} bytes, the signature starts at ${dataoff}` };
    if (nCodeSlots !== Math.ceil(codeLimit / pageSize)) return { ok: false, reason: `${nCodeSlots} page hashes for ${codeLimit} bytes` };
    for (let p = 0; p < nCodeSlots; p++) {
      const page = buf.subarray(p * pageSize, Math.min((p + 1) * pageSize, codeLimit));
      const want = buf.subarray(cd + hashOffset + p * hashSize, cd + hashOffset + (p + 1) * hashSize);
      if (!createHash(algorithm).update(page).digest().subarray(0, hashSize).equals(want)) {
        return { ok: false, reason: `page ${p} (bytes ${p * pageSize}..) does not match its hash` };
      }
    }
    const identifier = buf.subarray(cd + identOffset, buf.indexOf(0, cd + identOffset)).toString('utf8');
    return { ok: true, pages: nCodeSlots, identifier };
  }
  return { ok: false, reason: 'no CodeDirectory' };
}

/** Returns a copy of `buf` with a fresh ad-hoc signature (see the header). */
export function signMachO(buf, { identifier = 'a.out' } = {}) {
  const m = parse(buf);
  if (!m.signature) throw new Error('no LC_CODE_SIGNATURE to replace (an unsigned file needs room for one)');
  const linkedit = m.segments.__LINKEDIT;
  const text = m.segments.__TEXT;
  if (!linkedit || !text) throw new Error('no __LINKEDIT or __TEXT segment');
  const codeLimit = m.signature.dataoff;
  if (codeLimit % 16 !== 0) throw new Error(`the signature offset ${codeLimit} is not 16-byte aligned`);
  const pageSize = 1 << PAGE_SHIFT;
  const nCodeSlots = Math.ceil(codeLimit / pageSize);
  const hashSize = 32;
  const ident = Buffer.from(identifier + '\0', 'utf8');
  const cdHeader = 88; // CodeDirectory version 0x20400, through execSegFlags
  const identOffset = cdHeader;
  const hashOffset = identOffset + ident.length;
  const cdLength = hashOffset + nCodeSlots * hashSize;
  const superHeader = 12 + 8; // SuperBlob header and one index entry
  const total = superHeader + cdLength;
  const sig = Buffer.alloc(Math.ceil(total / 16) * 16);

  sig.writeUInt32BE(CSMAGIC_EMBEDDED_SIGNATURE, 0);
  sig.writeUInt32BE(total, 4);
  sig.writeUInt32BE(1, 8);
  sig.writeUInt32BE(0, 12); // CSSLOT_CODEDIRECTORY
  sig.writeUInt32BE(superHeader, 16);
  const cd = superHeader;
  sig.writeUInt32BE(CSMAGIC_CODEDIRECTORY, cd);
  sig.writeUInt32BE(cdLength, cd + 4);
  sig.writeUInt32BE(0x20400, cd + 8);
  sig.writeUInt32BE(CS_ADHOC | CS_LINKER_SIGNED, cd + 12);
  sig.writeUInt32BE(hashOffset, cd + 16);
  sig.writeUInt32BE(identOffset, cd + 20);
  sig.writeUInt32BE(0, cd + 24); // nSpecialSlots
  sig.writeUInt32BE(nCodeSlots, cd + 28);
  sig.writeUInt32BE(codeLimit, cd + 32);
  sig[cd + 36] = hashSize;
  sig[cd + 37] = CS_HASHTYPE_SHA256;
  sig[cd + 38] = 0; // platform
  sig[cd + 39] = PAGE_SHIFT;
  // spare2, scatterOffset, teamOffset, spare3, codeLimit64: 0
  sig.writeBigUInt64BE(BigInt(text.fileoff), cd + 64); // execSegBase
  sig.writeBigUInt64BE(BigInt(text.filesize), cd + 72); // execSegLimit
  sig.writeBigUInt64BE(BigInt(m.filetype === 2 ? CS_EXECSEG_MAIN_BINARY : 0), cd + 80);
  ident.copy(sig, cd + identOffset);

  // The load commands change first: the hashed pages include the header and load commands.
  const out = Buffer.concat([buf.subarray(0, codeLimit), sig]);
  out.writeUInt32LE(sig.length, m.signature.at + 12);
  const linkeditSize = codeLimit + sig.length - linkedit.fileoff;
  out.writeBigUInt64LE(BigInt(linkeditSize), linkedit.at + 48); // filesize
  const vmsize = BigInt(Math.ceil(linkeditSize / 0x4000) * 0x4000);
  if (vmsize > linkedit.vmsize) out.writeBigUInt64LE(vmsize, linkedit.at + 32);
  for (let p = 0; p < nCodeSlots; p++) {
    const page = out.subarray(p * pageSize, Math.min((p + 1) * pageSize, codeLimit));
    createHash('sha256').update(page).digest().copy(out, codeLimit + cd + hashOffset + p * hashSize);
  }
  return out;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const args = process.argv.slice(2);
  if (args[0] === '--verify') {
    let bad = 0;
    for (const file of args.slice(1)) {
      const r = verifyMachO(readFileSync(file));
      console.log(r.ok ? `${file}: ok, ${r.pages} pages, identifier ${r.identifier}` : `${file}: BAD: ${r.reason}`);
      if (!r.ok) bad++;
    }
    process.exit(bad ? 1 : 0);
  } else if (args[0]) {
    writeFileSync(args[0], signMachO(readFileSync(args[0]), { identifier: args[1] ?? 'docker-tidy' }));
    console.log(`signed ${args[0]}: ${verifyMachO(readFileSync(args[0])).ok ? 'ok' : 'FAILED'}`);
  } else {
    console.error('usage: node scripts/macho-sign.mjs FILE [IDENTIFIER] | --verify FILE...');
    process.exit(2);
  }
}
