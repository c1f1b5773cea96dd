/** `1 message`, `3 messages`: how every finding counts things. */
export function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}
