// The browser's position as a promise: its coords, or an error whose `reason` says why not
// (unsupported, denied, unavailable, timeout), for each screen to say in its own words.
const REASONS = { 1: "denied", 2: "unavailable", 3: "timeout" };

export class PositionError extends Error {
  constructor(reason) {
    super(`position ${reason}`);
    this.reason = reason;
  }
}

export function currentPosition(options) {
  return new Promise((resolve, reject) => {
    if (!navigator.geolocation) {
      reject(new PositionError("unsupported"));
      return;
    }
    navigator.geolocation.getCurrentPosition((p) => resolve(p.coords),
      (e) => reject(new PositionError(REASONS[e && e.code] || "unavailable")), options);
  });
}
