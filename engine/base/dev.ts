// A device number as the kernel packs it (stat's `rdev`, a dev_t), for every chapter that
// writes device nodes into a tar: layers, `docker cp`, a build's context and COPY.

/**
 * Splits a Linux dev_t into major and minor, the way glibc's gnu_dev_major / gnu_dev_minor do:
 * the low 8 bits of the minor, then 12 bits of major, then the rest of each.
 */
export function splitDev(rdev: number | bigint): { major: number; minor: number } {
  const r = BigInt(rdev);
  const major = ((r >> 8n) & 0xfffn) | ((r >> 32n) & ~0xfffn);
  const minor = (r & 0xffn) | ((r >> 12n) & ~0xffn);
  return { major: Number(major & 0xffffffffn), minor: Number(minor & 0xffffffffn) };
}
