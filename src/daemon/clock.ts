// Owns the only reading of the wall clock in shadowd (pure code takes `today` as an argument).
import type { Clock } from "../app/ports";

export const systemClock: Clock = {
  nowMs: () => Date.now(),
  today: () => Math.floor(Date.now() / 86_400_000),
};
