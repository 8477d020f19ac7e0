// Architecture rules, checked by `npm run deps` (dependency-cruiser) in .ci/run.
//
// Folders sit on floors and imports point DOWN only:
//   floor 0  ground   core/  db/  queues/  audit/
//   floor 1  tree     network/
//   floor 2  domains  broadcasts/  orders/            (independent of each other)
//   floor 3  edges    bot/                           (bot/commands/ is pure grammar: core/ only)
//   floor 4  top      app/  cli/  demo/  web/  bin/  (web/: the staff console; only app/ and cli/
//                                                     import it)
//   beside   fixtures/ (data + generators for the top floor, tests and bench), test/, bench/
// Type-only imports count: tsPreCompilationDeps keeps them in the graph, so a cycle or an upward
// import is reported even when it would vanish from the emitted JavaScript.

/** Every project folder above (or beside) a floor, for "to" patterns. */
const ABOVE_GROUND = 'network|broadcasts|orders|bot|web|app|cli|demo|bin|fixtures|test|bench'
const ABOVE_TREE = 'broadcasts|orders|bot|web|app|cli|demo|bin|fixtures|test|bench'
const ABOVE_EDGES = 'app|cli|demo|web|bin|fixtures|test|bench'

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      severity: 'error',
      comment:
        'No import cycles anywhere, type-only imports included: a cycle makes module ' +
        'initialisation order matter and glues the files into one unit that cannot be ' +
        'understood, tested or moved apart.',
      from: {},
      to: { circular: true },
    },
    {
      name: 'not-to-unresolvable',
      severity: 'error',
      comment:
        'An import that does not resolve is a typo or a missing package; tsx would only fail ' +
        'when the module is first loaded.',
      from: {},
      to: { couldNotResolve: true },
    },
    {
      name: 'ground-not-upward',
      severity: 'error',
      comment:
        'Ground (core/, db/, queues/, audit/) is what everything else stands on: config, ' +
        'logger, schema, queue wiring, audit. It must not know about the tree, the domains, ' +
        'the edges or the top, or every change up there would ripple down through everything.',
      from: { path: '^(core|db|queues|audit)/' },
      to: { path: `^(${ABOVE_GROUND})/` },
    },
    {
      name: 'core-imports-only-core',
      severity: 'error',
      comment:
        'core/ is the innermost ring (config, logger, batcher, caches, ...) and imports nothing ' +
        'from the project outside core/. The one exception is core/services.ts, the Services ' +
        'contract, which names the Db and Messenger types (see core-services-types-only).',
      from: { path: '^core/', pathNot: '^core/services\\.ts$' },
      to: { dependencyTypes: ['local'], pathNot: '^core/' },
    },
    {
      name: 'core-services-only-core-db-queues',
      severity: 'error',
      comment:
        'core/services.ts describes what a process hands its modules. Besides core/ it may ' +
        'name types from db/ and queues/, and nothing else from the project.',
      from: { path: '^core/services\\.ts$' },
      to: {
        dependencyTypes: ['local'],
        pathNot: '^(core|db|queues)/',
      },
    },
    {
      name: 'core-services-db-queues-type-only',
      severity: 'error',
      comment:
        'core/services.ts may import db/ and queues/ only with `import type`: core/ must stay ' +
        'loadable without pulling in the database client or the queue wiring.',
      from: { path: '^core/services\\.ts$' },
      to: { path: '^(db|queues)/', dependencyTypesNot: ['type-only'] },
    },
    {
      name: 'network-only-on-ground',
      severity: 'error',
      comment:
        'network/ (the five-tier tree) is floor 1: broadcasts and orders both walk it, so it ' +
        'may stand only on ground.',
      from: { path: '^network/' },
      to: { path: `^(${ABOVE_TREE})/` },
    },
    {
      name: 'broadcasts-not-orders',
      severity: 'error',
      comment:
        'broadcasts/ (notices down) and orders/ (service orders up) are sibling domains on ' +
        'floor 2; what they share belongs in network/ or ground, so each can change alone.',
      from: { path: '^broadcasts/' },
      to: { path: '^orders/' },
    },
    {
      name: 'orders-not-broadcasts',
      severity: 'error',
      comment: 'See broadcasts-not-orders: the two domains must not import each other.',
      from: { path: '^orders/' },
      to: { path: '^broadcasts/' },
    },
    {
      name: 'domains-not-upward',
      severity: 'error',
      comment:
        'broadcasts/ and orders/ (floor 2) may import ground and network/ only, never the ' +
        'edge (bot/) or the top (app/, cli/, demo/, web/); they call the domains, not the other way round.',
      from: { path: '^(broadcasts|orders)/' },
      to: { path: '^(bot|web|app|cli|demo|bin|fixtures|test|bench)/' },
    },
    {
      name: 'edges-not-upward',
      severity: 'error',
      comment:
        'bot/ (Wechaty) is the edge on floor 3: it may use floors 0-2 but not the top that ' +
        'wires it (app/, cli/, demo/, web/), nor fixtures, tests or bench.',
      from: { path: '^bot/' },
      to: { path: `^(${ABOVE_EDGES})/` },
    },
    {
      name: 'web-only-from-app-cli',
      severity: 'error',
      comment:
        'web/ (the staff console, and the Open311 API under web/open311/) is a top-floor folder ' +
        'like app/ and cli/: it stands on every floor below, and only app/ and cli/, which ' +
        'compose processes, may import it (tests and bench aside).',
      from: { pathNot: '^(web|app|cli|test|bench)/' },
      to: { path: '^web/' },
    },
    {
      name: 'web-not-top-or-bot',
      severity: 'error',
      comment:
        'web/ calls the domains as chat does, never chat itself (bot/: what both share belongs ' +
        'in a domain or in ground), nor the top floor that starts it, fixtures, tests or bench.',
      from: { path: '^web/' },
      to: { path: '^(bot|app|cli|demo|bin|fixtures|test|bench)/' },
    },
    {
      name: 'commands-pure-grammar',
      severity: 'error',
      comment:
        'bot/commands/ is the pure chat grammar (normalize, parse, templates): it may import ' +
        'only core/ and itself, so it can be tested and fuzzed without Wechaty, a database ' +
        'or a queue.',
      from: { path: '^bot/commands/' },
      to: { dependencyTypes: ['local'], pathNot: '^(core|bot/commands)/' },
    },
    {
      name: 'top-not-test-or-bench',
      severity: 'error',
      comment:
        'app/, cli/, demo/ and bin/ ship; test/ and bench/ do not. (Nothing below the top may ' +
        'import them either, see the rules above.)',
      from: { path: '^(app|cli|demo|bin)/' },
      to: { path: '^(test|bench)/' },
    },
    {
      name: 'fixtures-only-on-core-network-db',
      severity: 'error',
      comment:
        'fixtures/ is sample data and small generators for the top floor, tests and bench. It ' +
        'may import core/, network/ and db/ only, plus `import type` from bot/ (the sample ' +
        'residents are typed as bot/mock-network.ts MockPerson, a plain data shape).',
      from: { path: '^fixtures/' },
      to: {
        dependencyTypes: ['local'],
        pathNot: '^(fixtures|core|network|db)/',
        dependencyTypesNot: ['type-only'],
      },
    },
    {
      name: 'fixtures-type-only-from-bot',
      severity: 'error',
      comment:
        'fixtures/ may take types from bot/ only, never load it; anything else outside ' +
        'core/, network/ and db/ is covered by fixtures-only-on-core-network-db.',
      from: { path: '^fixtures/' },
      to: {
        path: '^(queues|audit|broadcasts|orders|web|app|cli|demo|bin|test|bench)/',
        dependencyTypes: ['type-only'],
      },
    },
    {
      name: 'fixtures-only-for-top-tests-bench',
      severity: 'error',
      comment:
        'Sample data is chosen by the top floor (cli start, demo), tests and bench; floors 0-3 ' +
        'take whatever data they are given and never reach for fixtures/ themselves.',
      from: { path: '^(core|db|queues|audit|network|broadcasts|orders|bot|web)/' },
      to: { path: '^fixtures/' },
    },
    {
      name: 'test-bench-not-shipped',
      severity: 'error',
      comment:
        'Only test/ and bench/ may import test/ and bench/ (they may import anything); shipped ' +
        'code must not depend on test support or benchmarks.',
      from: { pathNot: '^(test|bench)/' },
      to: { path: '^(test|bench)/' },
    },
    {
      name: 'nothing-imports-bin',
      severity: 'error',
      comment: 'bin/quanqun.js is the executable entry point, the very top; nothing imports it.',
      from: {},
      to: { path: '^bin/' },
    },
  ],
  options: {
    // Cruise the project only: packages are leaves, and dot folders, local data, migrations
    // (SQL + drizzle-kit JSON) and coverage output are not code.
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '(^|/)(node_modules|\\.[^/]+|coverage|db/migrations)(/|$)' },
    moduleSystems: ['es6', 'cjs'],
    // Keep `import type` edges: a type-only cycle or upward import is still an architecture
    // violation, only one that tsc would not notice.
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default', 'types'],
      mainFields: ['module', 'main', 'types', 'typings'],
      // Imports spell the `.ts` suffix (allowImportingTsExtensions); extensions are only tried
      // for anything that does not.
      extensions: ['.ts', '.js', '.mjs', '.cjs', '.json'],
    },
    reporterOptions: {
      text: { highlightFocused: true },
    },
  },
}
