// Sizes the way Docker prints them (github.com/docker/go-units): decimal units with Go's `%.*g`
// (so 4277910 bytes is `4.28MB`, and 999999 bytes is Docker's famous `1e+03kB`), and binary
// units for memory (`8GiB`). Chapter 1's `images` and `history` columns; chapter 6's `info`.

const DECIMAL_UNITS = ['B', 'kB', 'MB', 'GB', 'TB', 'PB', 'EB', 'ZB', 'YB'];
const BINARY_UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB', 'EiB', 'ZiB', 'YiB'];

/** Go's `fmt.Sprintf("%.<precision>g", x)`: shortest of %e/%f, trailing zeros dropped. */
export function goFormatG(x: number, precision: number): string {
  if (x === 0) return '0';
  const p = Math.max(precision, 1);
  // toExponential rounds to p significant digits first, so the exponent is the rounded one.
  const [mantissa, expText] = x.toExponential(p - 1).split('e');
  const exp = Number(expText);
  if (exp < -4 || exp >= p) {
    const sign = exp < 0 ? '-' : '+';
    const digits = String(Math.abs(exp)).padStart(2, '0');
    return `${stripZeros(mantissa!)}e${sign}${digits}`;
  }
  return stripZeros(x.toFixed(Math.max(0, p - 1 - exp)));
}

function stripZeros(s: string): string {
  return s.includes('.') ? s.replace(/0+$/, '').replace(/\.$/, '') : s;
}

function scale(size: number, base: number, units: string[]): { size: number; unit: string } {
  let i = 0;
  while (size >= base && i < units.length - 1) {
    size /= base;
    i++;
  }
  return { size, unit: units[i]! };
}

/** go-units HumanSizeWithPrecision: what `docker images` and `docker history` use with 3. */
export function humanSizeWithPrecision(bytes: number, precision: number): string {
  const { size, unit } = scale(bytes, 1000, DECIMAL_UNITS);
  return `${goFormatG(size, precision)}${unit}`;
}

/** go-units HumanSize: four significant digits. */
export function humanSize(bytes: number): string {
  return humanSizeWithPrecision(bytes, 4);
}

/** go-units BytesSize: binary units, four significant digits (`docker info`'s Total Memory). */
export function bytesSize(bytes: number): string {
  const { size, unit } = scale(bytes, 1024, BINARY_UNITS);
  return `${goFormatG(size, 4)}${unit}`;
}
