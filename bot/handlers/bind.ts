import { recordAudit } from '../../audit/record-audit.ts'
import { bindRoomToUnit } from '../../network/groups.ts'
import { findUnitByPath, findUnitsByName } from '../../network/queries.ts'
import { forgetTeamRooms } from '../../network/team-rooms.ts'
import { authorize } from '../authorize.ts'
import type { Handler } from '../context.ts'
import { botTexts } from '../templates.ts'

/** 绑定 <单位路径>: a staff member binds this room to a unit they hold a role over. */
export const bindHandler: Handler<'bind'> = async (ctx, command) => {
  const { incoming, member, account } = ctx
  const { db } = ctx.services
  if (!incoming.roomId) return botTexts.privateOnly
  const unit = command.path.includes('/')
    ? await findUnitByPath(db, command.path)
    : await findUnitsByName(db, command.path).then((found) => {
        if (found.length > 1) return found.length
        return found[0]
      })
  if (typeof unit === 'number') return botTexts.bindAmbiguous(command.path, unit)
  if (!unit) return botTexts.bindUnknownUnit(command.path)

  const grants = member?.grants ?? []
  // Re-pointing a bound room takes authority over where it is bound now as well as the target.
  const from = ctx.group
  const allowed =
    authorize('staff', grants, unit.path).allowed &&
    (!from || authorize('staff', grants, from.unitPath).allowed)
  const audit = {
    memberId: member?.id ?? null,
    actorRef: incoming.talkerId,
    action: 'group.bind',
    unitId: unit.id,
    groupId: from?.id ?? null,
    detail: {
      roomId: incoming.roomId,
      topic: incoming.topic,
      ...(from ? { fromUnitId: from.unitId, fromPath: from.unitPath } : {}),
    },
  }
  if (!allowed) {
    await recordAudit(db, { ...audit, allowed: false })
    return botTexts.refused(botTexts.roleName.staff)
  }
  const bound = await bindRoomToUnit(db, {
    roomId: incoming.roomId,
    topic: incoming.topic ?? incoming.roomId,
    botAccountId: account.id,
    unitId: unit.id,
  })
  // Notices of this process look for the new room at once.
  forgetTeamRooms(ctx.services)
  await recordAudit(db, { ...audit, groupId: bound.id, allowed: true })
  return botTexts.bound(unit.path)
}
