/**
 * The service catalogue (服务菜单) as data: fixtures/service-catalog.json is validated here and
 * upserted into `service_catalog` by code. Loading twice changes nothing; editing the file and
 * loading again updates categories in place, so orders keep pointing at the same rows.
 */
import { readFile } from 'node:fs/promises'
import { asc, sql } from 'drizzle-orm'
import { z } from 'zod'
import { cacheKey } from '../core/caches.ts'
import type { Services } from '../core/services.ts'
import type { Db } from '../db/client.ts'
import { serviceCatalog } from '../db/schema/orders.ts'

/** The ten practice platforms of a 新时代文明实践 centre; every category sits under one. */
export const PLATFORMS = [
  '理论宣讲',
  '教育服务',
  '文化服务',
  '科技与科普',
  '卫生健康与体育',
  '法律服务',
  '关爱帮扶',
  '文明创建',
  '基层治理',
  '全媒体',
] as const

// A one-character keyword ("灯", "水") matches half the messages people write: two at least.
const Keyword = z
  .string()
  .transform((k) => k.normalize('NFKC').trim().toLowerCase())
  .pipe(z.string().min(2).max(20))

const CategorySchema = z.object({
  code: z.string().regex(/^[a-z][a-z0-9-]{1,39}$/, 'lower-case letters, digits and -'),
  name: z.string().min(1).max(20),
  platform: z.enum(PLATFORMS),
  /** 4 grid/courtyard (自己能办自己办), 3 station (一般事项站办), 2 institute, 1 centre (重大事项中心办). */
  tier: z.number().int().min(1).max(4),
  keywords: z.array(Keyword).max(100),
  /** Colloquial words and common typos; they score like keywords. */
  synonyms: z.array(Keyword).max(100).default([]),
  /**
   * Sentences as residents write them (at least 15 for a category people order from): the
   * classifier learns the category's character n-grams from these, beyond its keywords.
   */
  examples: z.array(z.string().trim().min(2).max(200)).max(500).default([]),
  /** Words of danger (燃气, 消防通道): a message holding one lands here and is urgent. */
  urgent: z.array(Keyword).max(100).default([]),
  /**
   * Phrases of the kind of help asked for (劝一哈, 提醒一下; 谈不拢, 评理; 能告不): a resident who
   * asks for it names things of other categories too (狗屎 on the lawn, a leaking pipe between two
   * flats), and what is asked is what the order is.
   */
  asks: z.array(Keyword).max(100).default([]),
  sla: z.object({
    // Minutes: at least 1, at most 90 days (129,600 min).
    acceptMinutes: z.number().int().min(1).max(129_600),
    completeMinutes: z.number().int().min(1).max(129_600),
  }),
  /** Volunteer hours credited when an order of this kind is rated (love-bank points). */
  hours: z.number().min(0).max(100),
  /**
   * The most hours one order of this kind may credit, whatever the 完成 note says ("用时24小时"
   * credits this at most). Absent: the standard `hours`, nothing more.
   */
  maxHours: z.number().min(0).max(24).optional(),
})

const CatalogSchema = z
  .object({
    version: z.literal(1),
    /** The category an order takes when no keyword matches: it is never lost, the station sorts it. */
    fallback: z.string(),
    categories: z.array(CategorySchema).min(1),
  })
  .superRefine((c, ctx) => {
    const codes = new Set<string>()
    for (const cat of c.categories) {
      if (codes.has(cat.code)) ctx.addIssue({ code: 'custom', message: `重复的分类 ${cat.code}` })
      if (cat.maxHours !== undefined && cat.maxHours < cat.hours) {
        ctx.addIssue({ code: 'custom', message: `${cat.code} 的 maxHours 小于 hours` })
      }
      codes.add(cat.code)
    }
    if (!codes.has(c.fallback)) {
      ctx.addIssue({ code: 'custom', message: `兜底分类 ${c.fallback} 不在目录里` })
    }
  })

export type CatalogFile = z.infer<typeof CatalogSchema>

/** What a file's category becomes in `service_catalog`, but for how hours are written. */
function rowOf(c: CatalogFile['categories'][number]) {
  return {
    code: c.code,
    name: c.name,
    platform: c.platform,
    // Synonyms are matched like keywords: one list.
    keywords: [...new Set([...c.keywords, ...c.synonyms])],
    examples: c.examples,
    urgent: c.urgent,
    asks: c.asks,
    tier: c.tier,
    acceptSlaMinutes: c.sla.acceptMinutes,
    completeSlaMinutes: c.sla.completeMinutes,
  }
}

/** A file's categories as the database would hold them (ids in file order): for pure callers. */
export function fileCategories(file: CatalogFile): Category[] {
  return file.categories.map((c, i) => ({
    id: i + 1,
    ...rowOf(c),
    hours: c.hours,
  }))
}

/** A category as the rest of orders/ uses it (a row of `service_catalog`). */
export interface Category {
  id: number
  code: string
  name: string
  platform: string
  keywords: string[]
  examples: string[]
  urgent: string[]
  asks: string[]
  tier: number
  acceptSlaMinutes: number
  completeSlaMinutes: number
  hours: number
}

export const FALLBACK_CATEGORY = 'general'

export const defaultCatalogUrl = new URL('../fixtures/service-catalog.json', import.meta.url)

/** Reads and validates a catalogue file; a bad file throws with the first problem named. */
export async function readCatalogFile(url: URL | string = defaultCatalogUrl): Promise<CatalogFile> {
  const raw = JSON.parse(await readFile(url, 'utf8')) as unknown
  return parseCatalog(raw)
}

export function parseCatalog(raw: unknown): CatalogFile {
  const parsed = CatalogSchema.safeParse(raw)
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!
    throw new Error(`服务目录有误 ${issue.path.join('.')}: ${issue.message}`)
  }
  if (parsed.data.fallback !== FALLBACK_CATEGORY) {
    // intake relies on the fallback's code to never lose an order; one name keeps that simple.
    throw new Error(`服务目录有误 fallback: 兜底分类须为 ${FALLBACK_CATEGORY}`)
  }
  return parsed.data
}

/**
 * Upserts every category by code in one statement; returns how many rows the file holds.
 * Categories missing from a later file stay (old orders reference them). A process holding the
 * catalogue sees the change within CACHE_MS; `reloadCatalog` makes its own see it at once.
 */
export async function loadCatalog(db: Db, catalog?: CatalogFile): Promise<number> {
  const file = catalog ?? (await readCatalogFile())
  const rows = file.categories.map((c) => ({
    ...rowOf(c),
    hours: c.hours.toFixed(2),
    maxHours: (c.maxHours ?? c.hours).toFixed(2),
  }))
  await db
    .insert(serviceCatalog)
    .values(rows)
    .onConflictDoUpdate({
      target: serviceCatalog.code,
      set: {
        name: sql`excluded.name`,
        platform: sql`excluded.platform`,
        keywords: sql`excluded.keywords`,
        examples: sql`excluded.examples`,
        urgent: sql`excluded.urgent`,
        asks: sql`excluded.asks`,
        tier: sql`excluded.tier`,
        acceptSlaMinutes: sql`excluded.accept_sla_minutes`,
        completeSlaMinutes: sql`excluded.complete_sla_minutes`,
        hours: sql`excluded.hours`,
        maxHours: sql`excluded.max_hours`,
      },
    })
  return rows.length
}

/** `loadCatalog`, then the Services' cached copy is dropped: the next order reads the new one. */
export async function reloadCatalog(
  services: Pick<Services, 'db' | 'caches'>,
  catalog?: CatalogFile,
): Promise<number> {
  const loaded = await loadCatalog(services.db, catalog)
  catalogueOf(services).forget()
  return loaded
}

/**
 * The catalogue changes only when a file is loaded (`reloadCatalog`, at worker start, or by hand
 * with the CLI), and every order reads it, so each Services keeps it for a while. A reload through
 * the same Services drops the copy at once; a load elsewhere (the CLI) is seen within CACHE_MS. An
 * order classified against the previous keywords for that long is what it would have been a
 * minute earlier.
 */
const CACHE_MS = 60_000

class CachedCatalogue {
  private held: { at: number; categories: Promise<Category[]> } | undefined
  /**
   * The last list read, and its JSON. A re-read that finds the same catalogue hands out the same
   * array: the classifier's model is built per array (classify.ts), ~200 ms of a busy event loop
   * with the shipped examples, and rebuilding it every minute stalled every message behind it.
   */
  private last: { json: string; categories: Category[] } | undefined

  constructor(private readonly db: Db) {}

  list(): Promise<Category[]> {
    const hit = this.held
    if (hit && Date.now() - hit.at < CACHE_MS) return hit.categories
    const categories = readCategories(this.db).then((read) => {
      const json = JSON.stringify(read)
      if (this.last?.json === json) return this.last.categories
      this.last = { json, categories: read }
      return read
    })
    this.held = { at: Date.now(), categories }
    // A failed read is not kept: the next order asks again.
    categories.catch(() => {
      if (this.held?.categories === categories) this.forget()
    })
    return categories
  }

  forget(): void {
    this.held = undefined
  }
}

const CATALOGUE = cacheKey<CachedCatalogue>('orders.catalogue')

function catalogueOf(services: Pick<Services, 'db' | 'caches'>): CachedCatalogue {
  return services.caches.of(CATALOGUE, () => new CachedCatalogue(services.db))
}

/** Every category in catalogue order; loads the shipped file first when the table is empty. */
export function listCategories(services: Pick<Services, 'db' | 'caches'>): Promise<Category[]> {
  return catalogueOf(services).list()
}

/** Pure: the category a person named, by its name or its code ("法律咨询", "legal-advice"). */
export function categoryNamed(categories: readonly Category[], name: string): Category | undefined {
  const key = name.normalize('NFKC').replace(/\s+/g, '').toLowerCase()
  return categories.find((c) => c.name === key || c.code === key)
}

/** One category by id from the cached catalogue; a category added elsewhere re-reads it once. */
export async function categoryById(
  services: Pick<Services, 'db' | 'caches'>,
  id: number | null,
): Promise<Category | undefined> {
  if (id === null) return undefined
  const found = (await listCategories(services)).find((c) => c.id === id)
  if (found) return found
  catalogueOf(services).forget()
  return (await listCategories(services)).find((c) => c.id === id)
}

async function readCategories(db: Db): Promise<Category[]> {
  let rows = await db.select().from(serviceCatalog).orderBy(asc(serviceCatalog.id))
  if (rows.length === 0) {
    // A bot process may start before any worker loaded the catalogue: an order must not wait.
    await loadCatalog(db)
    rows = await db.select().from(serviceCatalog).orderBy(asc(serviceCatalog.id))
  }
  return rows.map(({ maxHours: _, ...r }) => ({ ...r, hours: Number(r.hours) }))
}
