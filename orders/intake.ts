/**
 * 点单 / 求助 / 报修: classifies and routes the order, then one transaction (shared with the orders
 * arriving at the same time, intake-batch.ts) checks the resident's pace and near duplicates,
 * takes a code from the sequence, writes the order and its first event, and dispatches to the
 * least-loaded worker of the handling unit. Messages go out after the commit.
 *
 * An order is never lost to the catalogue: text nothing matches becomes a 其他求助 (general)
 * order at the community station, whose staff dispatch it by hand. Text the classifier is unsure
 * about is placed the same way, unannounced, and the resident is asked which they meant
 * (ask-back.ts); while that question is open, their next order text answers it instead.
 */

import type { Services } from '../core/services.ts'
import type { Unit } from '../network/types.ts'
import { unitChainsOf } from '../network/unit-chains.ts'
import { answerWithText, askBack, pendingQuestion } from './ask-back.ts'
import { type Category, FALLBACK_CATEGORY, listCategories } from './catalogue.ts'
import { type Classification, classify, menuOf, unsure } from './classify.ts'
import { submitIntake } from './intake-batch.ts'
import type { PlaceInput, Prepared } from './intake-rules.ts'
import { learnedFor } from './learned-examples.ts'
import { afterMove } from './notify.ts'
import type { OrderRow } from './order-store.ts'
import { closeQuestion, type OpenQuestion } from './questions.ts'
import { routeUnit } from './route.ts'

export type PlaceResult =
  | {
      kind: 'placed'
      order: OrderRow
      category: Category
      classified: Classification | undefined
      handlingUnit: Unit
      assignee?: string
      /** Placed as the fallback, unannounced: the resident is asked which of these they meant. */
      asking?: Category[]
    }
  /** A new description while asked did not settle it either: asked again with these. */
  | { kind: 'asking'; code: string; choices: Category[] }
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
  const chain = await unitChainsOf(services).of(input.unitId)
  const district = chain.at(-1)
  const learned = district ? await learnedFor(services, district.id) : []
  // A category the caller chose (an Open311 service_code) is not second-guessed.
  const classified = choice.category
    ? undefined
    : classify(choice.about ?? text, categories, learned)
  // Only where the resident can answer (a group) is there a question to ask; text that looks
  // most like 其他求助 goes there, as the station sorts those anyway. Unsure with nobody to ask
  // (an Open311 request): 其他求助 too, as an unanswered question ends, not a weak guess ("救命"
  // is no science talk).
  const doubtful = classified !== undefined && unsure(classified)
  const asking =
    doubtful && classified.category.code !== FALLBACK_CATEGORY && input.groupId !== null
      ? menuOf(classified)
      : undefined
  const fallback = categories.find((c) => c.code === FALLBACK_CATEGORY)
  const category = choice.category ?? (doubtful ? undefined : classified?.category) ?? fallback
  if (!category) throw new Error(`service catalogue has no ${FALLBACK_CATEGORY} category`)
  const handlingUnit = routeUnit(chain, category.tier)
  if (!handlingUnit) throw new Error(`unit ${input.unitId} not found for an order`)
  return {
    ...input,
    text,
    residentName,
    category,
    classified,
    handlingUnit,
    ...(asking ? { asking } : {}),
    ...(choice.about === undefined ? {} : { need: storableText(choice.about) }),
  }
}

/**
 * Reads the catalogue and builds the classifier's model before the first order needs them: built
 * on demand they held up the first residents after a start by ~140 ms (bench intake, cold).
 */
export async function warmIntake(services: Services): Promise<void> {
  // Any text builds the model; an empty one returns before it.
  classify('楼道灯坏了', await listCategories(services))
}

export async function placeOrder(
  services: Services,
  input: PlaceInput,
  choice: Choice = {},
): Promise<PlaceResult> {
  const open =
    input.groupId === null
      ? undefined
      : await pendingQuestion(services, input.residentRef, input.groupId)
  if (open) return describe(services, open, input)
  const prepared = await prepareOrder(services, input, choice)
  // Placed in a batch with the orders arriving at the same time (intake-batch.ts).
  const outcome = await submitIntake({ services, prepared })
  if (outcome.kind !== 'placed') return outcome
  const { category, classified, handlingUnit, asking } = prepared
  const order = outcome.last.order
  services.log.info(
    {
      order: order.code,
      category: category.code,
      asking: asking?.map((c) => c.code),
      handlingUnitId: handlingUnit.id,
      assignee: outcome.assignee?.name,
      confidence: classified?.confidence ?? 0,
      safety: classified?.safety ?? false,
    },
    'order placed',
  )
  if (asking) {
    // Announced to the station only when the resident answers, or nobody does in time.
    await askBack(services, order, asking)
  } else {
    await afterMove(services, outcome.last, outcome.assignee ? { assignee: outcome.assignee } : {})
  }
  return {
    ...(asking ? { asking } : {}),
    kind: 'placed',
    order,
    category,
    classified,
    handlingUnit,
    ...(outcome.assignee ? { assignee: outcome.assignee.name } : {}),
  }
}

/** The resident's next words while asked which they meant: the answer to that question. */
async function describe(
  services: Services,
  open: OpenQuestion,
  input: PlaceInput,
): Promise<PlaceResult> {
  const chain = await unitChainsOf(services).of(input.unitId)
  const answer = await answerWithText(
    services,
    open,
    { residentRef: input.residentRef, districtId: chain.at(-1)?.id },
    storableText(input.text),
  )
  if (answer.kind === 'asking') return answer
  if (!answer.result.ok) {
    // Staff took or moved it meanwhile: the question is moot, and these words a new order.
    await closeQuestion(services.db, open.orderId, 'closed')
    return placeOrder(services, input)
  }
  const { moved, handlingUnit, assignee } = answer.result
  return {
    kind: 'placed',
    order: moved.order,
    category: answer.category,
    classified: undefined,
    handlingUnit,
    ...(assignee ? { assignee } : {}),
  }
}
