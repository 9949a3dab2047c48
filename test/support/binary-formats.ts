// Small readers for the release files' formats, written for the tests and independent of the
// build's own signer (scripts/macho-sign.mjs), so that a mistake in one does not hide in the other.
import { createHash } from 'node:crypto';

/** Mach-O CPU types (mach/machine.h). */
export const CPU_TYPE = { x86_64: 0x01000007, arm64: 0x0100000c } as const;

/** What the tests check of a Mach-O executable and its embedded code signature. */
export interface MachO {
  cputype: number;
  filetype: number;
  signature?: {
    /** Blob types in the SuperBlob (0 = CodeDirectory, 2 = requirements, 0x10000 = CMS). */
    slots: number[];
    flags: number;
    identifier: string;
    pageSize: number;
    codeLimit: number;
    /** Indexes of the pages whose hash does not match the file. */
    badPages: number[];
    pages: number;
  };
}

/** Parses a thin 64-bit Mach-O file and checks every page hash of its CodeDirectory. */
export function readMachO(buf: Buffer): MachO {
  if (buf.readUInt32LE(0) !== 0xfeedfacf) throw new Error(`not a 64-bit Mach-O (magic 0x${buf.readUInt32LE(0).toString(16)})`);
  const cputype = buf.readInt32LE(4);
  const filetype = buf.readUInt32LE(12);
  const ncmds = buf.readUInt32LE(16);
  let dataoff: number | undefined;
  for (let i = 0, at = 32; i < ncmds; i++) {
    if (buf.readUInt32LE(at) === 0x1d) dataoff = buf.readUInt32LE(at + 8); // LC_CODE_SIGNATURE
    at += buf.readUInt32LE(at + 4);
  }
  if (dataoff === undefined) return { cputype, filetype };
  if (buf.readUInt32BE(dataoff) !== 0xfade0cc0) throw new Error('LC_CODE_SIGNATURE does not point at an embedded-signature SuperBlob');
  const count = buf.readUInt32BE(dataoff + 8);
  const slots: number[] = [];
  let cd: number | undefined;
  for (let i = 0; i < count; i++) {
    const type = buf.readUInt32BE(dataoff + 12 + 8 * i);
    slots.push(type);
    if (type === 0) cd = dataoff + buf.readUInt32BE(dataoff + 16 + 8 * i);
  }
  if (cd === undefined || buf.readUInt32BE(cd) !== 0xfade0c02) throw new Error('no CodeDirectory in the signature');
  const flags = buf.readUInt32BE(cd + 12);
  const hashOffset = buf.readUInt32BE(cd + 16);
  const identOffset = buf.readUInt32BE(cd + 20);
  const pages = buf.readUInt32BE(cd + 28);
  const codeLimit = buf.readUInt32BE(cd + 32);
  const hashSize = buf.readUInt8(cd + 36);
  const hashType = buf.readUInt8(cd + 37);
  const pageSize = 1 << buf.readUInt8(cd + 39);
  if (hashType !== 2 || hashSize !== 32) throw new Error(`CodeDirectory hash type ${hashType}/${hashSize}, expected SHA-256`);
  const badPages: number[] = [];
  for (let p = 0; p < pages; p++) {
    const page = buf.subarray(p * pageSize, Math.min((p + 1) * pageSize, codeLimit));
    const expected = buf.subarray(cd + hashOffset + p * 32, cd + hashOffset + (p + 1) * 32);
    if (!createHash('sha256').update(page).digest().equals(expected)) badPages.push(p);
  }
  const identifier = buf.toString('utf8', cd + identOffset, buf.indexOf(0, cd + identOffset));
  return { cputype, filetype, signature: { slots, flags, identifier, pageSize, codeLimit, badPages, pages } };
}

/** What the tests check of a PE file's headers. */
export interface PortableExecutable {
  machine: number;
  /** 0x20b for PE32+. */
  optionalMagic: number;
  /** 3 = Windows console. */
  subsystem: number;
  characteristics: number;
  sections: string[];
}

/** Parses the DOS, PE and optional headers of a Windows executable. */
export function readPE(buf: Buffer): PortableExecutable {
  if (buf.toString('latin1', 0, 2) !== 'MZ') throw new Error('no MZ header');
  const pe = buf.readUInt32LE(0x3c);
  if (buf.toString('latin1', pe, pe + 4) !== 'PE\0\0') throw new Error('no PE signature');
  const machine = buf.readUInt16LE(pe + 4);
  const nsections = buf.readUInt16LE(pe + 6);
  const optionalSize = buf.readUInt16LE(pe + 20);
  const characteristics = buf.readUInt16LE(pe + 22);
  const opt = pe + 24;
  const optionalMagic = buf.readUInt16LE(opt);
  const subsystem = buf.readUInt16LE(opt + 68);
  const sections: string[] = [];
  for (let i = 0, at = opt + optionalSize; i < nsections; i++, at += 40) {
    sections.push(buf.toString('latin1', at, at + 8).replace(/\0+$/, ''));
  }
  return { machine, optionalMagic, subsystem, characteristics, sections };
}

/** ELF machine and program interpreter (PT_INTERP) of a 64-bit little-endian ELF executable. */
export function readElf(buf: Buffer): { machine: number; interpreter?: string } {
  if (buf.readUInt32BE(0) !== 0x7f454c46 || buf[4] !== 2 || buf[5] !== 1) throw new Error('not a 64-bit little-endian ELF file');
  const machine = buf.readUInt16LE(18);
  const phoff = Number(buf.readBigUInt64LE(32));
  const phentsize = buf.readUInt16LE(54);
  const phnum = buf.readUInt16LE(56);
  for (let i = 0; i < phnum; i++) {
    const at = phoff + i * phentsize;
    if (buf.readUInt32LE(at) === 3) {
      const offset = Number(buf.readBigUInt64LE(at + 8));
      const size = Number(buf.readBigUInt64LE(at + 32));
      return { machine, interpreter: buf.toString('latin1', offset, offset + size).replace(/\0+$/, '') };
    }
  }
  return { machine };
}

/** ELF e_machine values. */
export const ELF_MACHINE = { x86_64: 62, aarch64: 183 } as const;
