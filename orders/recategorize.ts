/**
 * 改类, and the resident's answer to "您要办的是…": the order takes another category, so the
 * unit that category's tier routes it to, loses its assignee, and is dispatched again to the
 * least-loaded worker there. One `recategorized` event on its timeline (actor, from → to), then
 * the dispatch's; a staff correction also becomes a learned example of the district.
 */
import { orderOptions } from '../core/order-options.ts'
import type { Services } from '../core/services.ts'
import type { Unit } from '../network/types.ts'
import { unitChainsOf } from '../network/unit-chains.ts'
import { type ActResult, applyAction, type Moved } from './act.ts'
import { type Category, categoryById, FALLBACK_CATEGORY } from './catalogue.ts'
import { URGENT } from './classify.ts'
import { candidatesFor, pickLeastLoaded } from './dispatch.ts'
import { learn, relearn } from './learned-examples.ts'
import { afterMove } from './notify.ts'
import { closeQuestion } from './questions.ts'
import { routeUnit } from './route.ts'
import type { OrderActor } from './state-machine.ts'

export interface RecategorizeRequest {
  code: string
  category: Category
  actor: OrderActor
  actorRef: string
  actorMemberId?: number | null
  /** The resident picking from the menu they were asked (else staff's 改类, which teaches). */
  answer?: 'chosen' | 'described'
  /** The resident's clearer words that settled it: on the timeline, for whoever takes it. */
  description?: string
}

export type Recategorized =
  | { ok: true; moved: Moved; handlingUnit: Unit; assignee?: string; learnedId?: number }
  | { ok: false; reason: string }

export async function recategorize(
  services: Services,
  req: RecategorizeRequest,
): Promise<Recategorized> {
  const { category } = req
  let handlingUnit: Unit | undefined
  let learnedId: number | undefined
  let from: Category | undefined
  const result: ActResult = await applyAction(services, {
    code: req.code,
    actor: req.actor,
    actorRef: req.actorRef,
    actorMemberId: req.actorMemberId ?? null,
    note: req.description ? `${category.name}（${req.description}）` : category.name,
    patch: {
      categoryId: category.id,
      ...(category.urgent.length > 0 ? { priority: URGENT } : {}),
    },
    action: async (_snapshot, _tx, order) => {
      const chain = await unitChainsOf(services).of(order.unitId)
      handlingUnit = routeUnit(chain, category.tier)
      if (!handlingUnit) throw new Error(`unit ${order.unitId} of ${order.code} not found`)
      from = await categoryById(services, order.categoryId)
      return {
        kind: 'recategorize',
        to: { id: handlingUnit.id, path: handlingUnit.path, tier: handlingUnit.tier },
        ...(req.answer ? { answer: true } : {}),
      }
    },
    within: async (tx, moved) => {
      await closeQuestion(tx, moved.order.id, req.answer ?? 'closed')
      if (req.answer || from?.id === category.id) return
      const chain = await unitChainsOf(services).of(moved.order.unitId)
      const district = chain.at(-1)
      if (!district) return
      learnedId = await learn(tx, {
        districtId: district.id,
        categoryId: category.id,
        text: moved.order.text,
        orderId: moved.order.id,
        createdBy: req.actorRef,
      })
    },
    data: { to: category.code },
  })
  if (!result.ok) return result
  if (learnedId !== undefined) relearn(services)
  const dispatched = await redispatch(services, result, category)
  return {
    ok: true,
    moved: dispatched?.moved ?? result,
    handlingUnit: handlingUnit!,
    ...(dispatched ? { assignee: dispatched.name } : {}),
    ...(learnedId !== undefined ? { learnedId } : {}),
  }
}

/**
 * The least-loaded worker of the new handling unit (never the resident), as at intake; when
 * nobody is picked the recategorized order is announced to the unit's team like a new one.
 */
async function redispatch(services: Services, moved: Moved, category: Category) {
  const order = moved.order
  const pick =
    orderOptions(services).dispatch === 'least-loaded' && category.code !== FALLBACK_CATEGORY
      ? pickLeastLoaded(
          (await candidatesFor(services.db, order.handlingUnitId)).filter(
            (c) => c.wechatId !== order.residentRef,
          ),
        )
      : undefined
  if (pick) {
    const unit = (await unitChainsOf(services).of(order.handlingUnitId))[0]!
    const dispatched = await applyAction(services, {
      code: order.code,
      actor: { kind: 'system' },
      actorRef: 'system',
      note: pick.name,
      data: { load: pick.load, policy: 'least-loaded' },
      action: {
        kind: 'dispatch',
        assignee: {
          memberId: pick.memberId,
          ref: pick.wechatId,
          name: pick.name,
          grants: [{ role: 'grid_worker', unitId: unit.id, unitPath: unit.path }],
        },
      },
    })
    if (dispatched.ok) {
      await afterMove(services, dispatched, { assignee: pick })
      return { moved: dispatched, name: pick.name }
    }
  }
  await afterMove(services, moved)
  return undefined
}
