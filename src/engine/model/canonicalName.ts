/**
 * Keras-style name matching: `Dense`, `dense`, `max_pooling2d`, `MaxPooling2D`,
 * `sparse_categorical_crossentropy` all match their camelCase canonical name
 * (`maxPooling2d`, `sparseCategoricalCrossentropy`) by comparing names with
 * underscores removed, case-insensitively. Returns undefined when nothing matches.
 */
export function canonicalName<T extends string>(value: string, valid: readonly T[], aliases: Readonly<Record<string, T>> = {}): T | undefined {
  const key = squash(value);
  for (const name of valid) if (squash(name) === key) return name;
  for (const [alias, name] of Object.entries(aliases)) if (squash(alias) === key) return name;
  return undefined;
}

function squash(s: string): string {
  return s.replace(/[_\s-]/g, '').toLowerCase();
}
