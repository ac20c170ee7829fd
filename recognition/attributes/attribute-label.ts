/** The attributes a drawn label shows first, in this order; any other name follows in the order given. */
const LEADING = ["emotion", "age", "gender"];

/** Gender labels drawn as one letter (the dlib model's labels). */
const SHORT_VALUES: Record<string, string> = { male: "m", female: "f" };

/**
 * A face's attributes as one short line for an annotated picture, e.g. `happy · 43 · m` (emotion, age, gender,
 * then any other attribute); undefined when there are none.
 */
export function attributeLabel(attributes: Readonly<Record<string, { value: string | number }>> | undefined): string | undefined {
  if (attributes === undefined) return undefined;
  const names = Object.keys(attributes);
  const ordered = [...LEADING.filter((n) => names.includes(n)), ...names.filter((n) => !LEADING.includes(n))];
  const text = ordered
    .map((name) => {
      const value = String((attributes[name] as { value: string | number }).value);
      return name === "gender" ? (SHORT_VALUES[value] ?? value) : value;
    })
    .join(" · ");
  return text === "" ? undefined : text;
}
