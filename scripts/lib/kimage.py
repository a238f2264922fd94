#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Inspect an x86 Linux kernel image for scripts/vm.

  kimage.py version IMAGE        print the kernel release ("6.1.0-56-amd64")
  kimage.py extract IMAGE OUT    write the uncompressed vmlinux of a bzImage
                                 to OUT if QEMU can boot it directly via PVH

The release is read from the image itself (bzImage setup header, or the
"Linux version" banner of an ELF vmlinux), never from the running host.
"extract" exits 0 when OUT is a PVH-bootable ELF, 1 with a reason on stderr
when the caller should boot IMAGE as it is.
"""

import bz2
import lzma
import re
import struct
import sys
import zlib

BANNER = re.compile(rb"Linux version (\S+)")


def setup_header(data):
    """Return (setup_size, protocol) for a bzImage, or None."""
    if len(data) < 0x250 or data[0x202:0x206] != b"HdrS":
        return None
    setup_sects = data[0x1F1] or 4
    protocol = struct.unpack_from("<H", data, 0x206)[0]
    return (setup_sects + 1) * 512, protocol


def version(data):
    hdr = setup_header(data)
    if hdr is not None:
        off = struct.unpack_from("<H", data, 0x20E)[0]
        if off:
            raw = data[0x200 + off:0x200 + off + 256].split(b"\0")[0]
            if raw:
                return raw.split()[0].decode("ascii", "replace")
    if data[:4] == b"\x7fELF":
        m = BANNER.search(data)
        if m:
            return m.group(1).decode("ascii", "replace")
    raise ValueError("no kernel version string found")


def decompress(payload):
    if payload.startswith(b"\xfd7zXZ\x00"):
        return lzma.LZMADecompressor(format=lzma.FORMAT_XZ).decompress(payload)
    if payload.startswith(b"\x1f\x8b"):
        return zlib.decompressobj(16 + zlib.MAX_WBITS).decompress(payload)
    if payload.startswith(b"BZh"):
        return bz2.BZ2Decompressor().decompress(payload)
    if payload.startswith(b"\x5d\x00\x00"):
        return lzma.LZMADecompressor(format=lzma.FORMAT_ALONE).decompress(payload)
    raise ValueError("unsupported payload compression (magic %s)"
                     % payload[:4].hex())


def has_pvh_note(elf):
    """True if the ELF has the XEN_ELFNOTE_PHYS32_ENTRY note QEMU needs."""
    if elf[:4] != b"\x7fELF" or elf[4] != 2:
        return False
    phoff = struct.unpack_from("<Q", elf, 0x20)[0]
    phentsize, phnum = struct.unpack_from("<HH", elf, 0x36)
    for i in range(phnum):
        p = phoff + i * phentsize
        p_type = struct.unpack_from("<I", elf, p)[0]
        if p_type != 4:  # PT_NOTE
            continue
        off = struct.unpack_from("<Q", elf, p + 8)[0]
        size = struct.unpack_from("<Q", elf, p + 32)[0]
        end = off + size
        while off + 12 <= end:
            namesz, descsz, ntype = struct.unpack_from("<III", elf, off)
            name = elf[off + 12:off + 12 + namesz]
            if name.rstrip(b"\0") == b"Xen" and ntype == 18:
                return True
            off += 12 + ((namesz + 3) & ~3) + ((descsz + 3) & ~3)
    return False


def extract(data, out):
    hdr = setup_header(data)
    if hdr is None:
        raise ValueError("not a bzImage")
    setup_size, protocol = hdr
    if protocol < 0x208:
        raise ValueError("boot protocol %#x has no payload fields" % protocol)
    poff, plen = struct.unpack_from("<II", data, 0x248)
    start = setup_size + poff
    elf = decompress(data[start:start + plen])
    if not has_pvh_note(elf):
        raise ValueError("vmlinux has no PVH entry note (CONFIG_PVH=n?)")
    # A KASAN vmlinux triple-faults when entered via PVH; boot the bzImage.
    if b"BUG: KASAN" in elf:
        raise ValueError("KASAN kernel: PVH entry is known to fail")
    with open(out, "wb") as f:
        f.write(elf)


def main(argv):
    if len(argv) < 3 or argv[1] not in ("version", "extract"):
        sys.stderr.write(__doc__)
        return 2
    with open(argv[2], "rb") as f:
        data = f.read()
    try:
        if argv[1] == "version":
            print(version(data))
        else:
            if len(argv) != 4:
                sys.stderr.write(__doc__)
                return 2
            extract(data, argv[3])
    except (ValueError, lzma.LZMAError, zlib.error, OSError, EOFError,
            struct.error, IndexError) as e:
        sys.stderr.write("kimage: %s: %s\n" % (argv[2], e))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
