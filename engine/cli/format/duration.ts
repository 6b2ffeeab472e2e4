// "4 weeks ago": go-units HumanDuration, the words Docker prints in its CREATED columns.
// The thresholds are Docker's exactly, including its rounding to the nearest hour before
// the hour buckets, and a month of 30 days and a year of 365.

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;

/** HumanDuration of `ms` milliseconds (negative durations count as zero, as in Go's int cast). */
export function humanDuration(ms: number): string {
  // #region exercise-6-human-duration
  const seconds = Math.trunc(ms / SECOND);
  if (seconds < 1) return 'Less than a second';
  if (seconds === 1) return '1 second';
  if (seconds < 60) return `${seconds} seconds`;
  const minutes = Math.trunc(ms / MINUTE);
  if (minutes === 1) return 'About a minute';
  if (minutes < 60) return `${minutes} minutes`;
  // Go's Duration.Round(time.Hour) rounds half away from zero.
  const hours = Math.round(ms / HOUR);
  if (hours === 1) return 'About an hour';
  if (hours < 48) return `${hours} hours`;
  if (hours < 24 * 7 * 2) return `${Math.trunc(hours / 24)} days`;
  if (hours < 24 * 30 * 2) return `${Math.trunc(hours / 24 / 7)} weeks`;
  if (hours < 24 * 365 * 2) return `${Math.trunc(hours / 24 / 30)} months`;
  return `${Math.trunc(Math.trunc(ms / HOUR) / 24 / 365)} years`;
  // #endregion exercise-6-human-duration
}

/** `docker images`' CREATED: the duration since a unix time, plus " ago". */
export function createdSince(unixSeconds: number, now: number = Date.now()): string {
  return `${humanDuration(now - unixSeconds * 1000)} ago`;
}

/**
 * Go's time.Time.String() for a unix time in the local zone: `2024-09-26 21:31:42 +0000 UTC`,
 * what Docker's `.CreatedAt` prints.
 */
export function goTimeString(unixSeconds: number): string {
  const d = new Date(unixSeconds * 1000);
  const offsetMin = -d.getTimezoneOffset();
  const local = new Date(d.getTime() + offsetMin * MINUTE);
  const pad = (n: number) => String(n).padStart(2, '0');
  const date = `${local.getUTCFullYear()}-${pad(local.getUTCMonth() + 1)}-${pad(local.getUTCDate())}`;
  const time = `${pad(local.getUTCHours())}:${pad(local.getUTCMinutes())}:${pad(local.getUTCSeconds())}`;
  const sign = offsetMin < 0 ? '-' : '+';
  const offset = `${sign}${pad(Math.trunc(Math.abs(offsetMin) / 60))}${pad(Math.abs(offsetMin) % 60)}`;
  // Go prints the zone's abbreviation; without a tz database at hand we print UTC or the offset.
  const zone = offsetMin === 0 ? 'UTC' : offset;
  return `${date} ${time} ${offset} ${zone}`;
}

/** Go's time.Format(time.RFC3339) in the local zone: `2024-09-26T21:31:42Z` or `…+02:00`. */
export function goRFC3339(unixSeconds: number): string {
  const d = new Date(unixSeconds * 1000);
  const offsetMin = -d.getTimezoneOffset();
  const local = new Date(d.getTime() + offsetMin * MINUTE).toISOString().slice(0, 19);
  if (offsetMin === 0) return `${local}Z`;
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${local}${offsetMin < 0 ? '-' : '+'}${pad(Math.trunc(Math.abs(offsetMin) / 60))}:${pad(Math.abs(offsetMin) % 60)}`;
}
