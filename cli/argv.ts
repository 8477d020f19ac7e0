/** Splits argv into positionals and `--flag value` / `--flag=value` / `--switch` flags. */
export function parseArgv(
  argv: readonly string[],
  switches: ReadonlySet<string> = new Set(),
): { args: string[]; flags: Record<string, string | true> } {
  const args: string[] = []
  const flags: Record<string, string | true> = {}
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!
    if (a === '--') {
      args.push(...argv.slice(i + 1))
      break
    }
    if (a.startsWith('--') && a.length > 2) {
      const eq = a.indexOf('=')
      if (eq > 0) {
        flags[a.slice(2, eq)] = a.slice(eq + 1)
        continue
      }
      const name = a.slice(2)
      const next = argv[i + 1]
      if (!switches.has(name) && next !== undefined && !next.startsWith('--')) {
        flags[name] = next
        i++
      } else {
        flags[name] = true
      }
      continue
    }
    args.push(a)
  }
  return { args, flags }
}
