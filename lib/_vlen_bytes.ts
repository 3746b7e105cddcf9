// Placeholder until the chunk reader's global-heap path lands.
export function readVlenStringBytes(
  path: string,
  name: string,
  index: number,
): Uint8Array {
  throw new Error(
    `${path}: reading element ${index} of variable-length string dataset "${name}" is not supported yet.`,
  );
}
