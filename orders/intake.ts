/**
 * 点单 / 求助 / 报修: classifies and routes the order, then one transaction (shared with the orders
 * arriving at the same time, intake-batch.ts) checks the resident's pace and near duplicates,
 * takes a code from the sequence, writes the order and its first event, and dispatches to the
 * least-loaded worker of the handling unit. Messages go out after the commit.
 *
 * An order is never lost to the catalogue: text no keyword matches becomes a 其他求助 (general)
 * order at the community station, whose staff dispatch it by hand. Asking the resident to pick a
 * category first would need a pending draft per person, and the elderly often never answer.
 */

import type { Services } from '../core/services.ts'
import type { Unit } from '../network/types.ts'
import { unitChainsOf } from '../network/unit-chains.ts'
import { type Category, FALLBACK_CATEGORY, listCategories } from './catalogue.ts'
import { type Classification, classify } from './classify.ts'
import { submitIntake } from './intake-batch.ts'
import type { PlaceInput, Prepared } from './intake-rules.ts'
import { afterMove } from './notify.ts'
import type { OrderRow } from './order-store.ts'
import { routeUnit } from './route.ts'

export type PlaceResult =
  | {
      kind: 'placed'
      order: OrderRow
      category: Category
      classified: Classification | undefined
      handlingUnit: Unit
      assignee?: string
    }
  | { kind: 'duplicate'; code: string }
  | { kind: 'limited'; max: number; minutes: number }

// Stored text is capped: the parser already refuses more than 500 characters, this guards
// other callers (demo, CLI) so a pasted novel never reaches a chat message or a log line.
const MAX_TEXT = 1_000
const MAX_NAME = 64

/** Text as stored: no NUL (PostgreSQL refuses it), no lone surrogates, bounded. */
function storableText(text: string, max = MAX_TEXT): string {
  const clean = text
    .replace(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g, '\uFFFD')
    // biome-ignore lint/suspicious/noControlCharactersInRegex: removing NUL is the point
    .replace(/\u0000/g, '')
    .trim()
  const points = [...clean]
  return points.length > max ? `${points.slice(0, max - 1).join('')}…` : clean
}

/**
 * What a caller other than the chat may decide: the category itself (an Open311 `service_code`),
 * and the need alone when the stored text carries more (the address an integration appends): it
 * is what gets classified and what a repeat is judged on.
 */
interface Choice {
  category?: Category
  about?: string
}

/** Classifies and routes; reads only the cached catalogue and unit chain. */
export async function prepareOrder(
  services: Services,
  input: PlaceInput,
  choice: Choice = {},
): Promise<Prepared> {
  const text = storableText(input.text)
  const residentName = storableText(input.residentName, MAX_NAME) || '居民'
  const categories = await listCategories(services)
  const classified = choice.category ? undefined : classify(choice.about ?? text, categories)
  const category =
    choice.category ?? classified?.category ?? categories.find((c) => c.code === FALLBACK_CATEGORY)
  if (!category) throw new Error(`service catalogue has no ${FALLBACK_CATEGORY} category`)
  const chain = await unitChainsOf(services).of(input.unitId)
  const handlingUnit = routeUnit(chain, category.tier)
  if (!handlingUnit) throw new Error(`unit ${input.unitId} not found for an order`)
  const need = choice.about === undefined ? {} : { need: storableText(choice.about) }
  return { ...input, text, residentName, category, classified, handlingUnit, ...need }
}

export async function placeOrder(
  services: Services,
  input: PlaceInput,
  choice: Choice = {},
): Promise<PlaceResult> {
  const prepared = await prepareOrder(services, input, choice)
  // Placed in a batch with the orders arriving at the same time (intake-batch.ts).
  const outcome = await submitIntake({ services, prepared })
  if (outcome.kind !== 'placed') return outcome
  const { category, classified, handlingUnit } = prepared
  const order = outcome.last.order
  services.log.info(
    {
      order: order.code,
      category: category.code,
      handlingUnitId: handlingUnit.id,
      assignee: outcome.assignee?.name,
      score: classified?.score ?? 0,
    },
    'order placed',
  )
  await afterMove(services, outcome.last, outcome.assignee ? { assignee: outcome.assignee } : {})
  return {
    kind: 'placed',
    order,
    category,
    classified,
    handlingUnit,
    ...(outcome.assignee ? { assignee: outcome.assignee.name } : {}),
  }
}
