// Owns small pure formatters shared by shadowctl's commands (name lists); dates come from
// domain/days.

/** At most `limit` names joined with ", ", then "… and N more" when there are more. */
export function summarizeNames(names: readonly string[], limit: number, total = names.length): string {
  const shown = names.slice(0, limit).join(", ");
  const rest = total - Math.min(limit, names.length);
  return rest > 0 ? `${shown} … and ${rest} more` : shown;
}
