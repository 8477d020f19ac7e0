import type { Logger } from '../core/logger.ts'
import type { Db } from '../db/client.ts'
import {
  type BoundGroup,
  bindRoomsByTopic,
  claimGroup,
  deactivateRoom,
  findGroupByRoomId,
  findUnclaimedGroup,
  reactivateRoom,
  renameRoom,
} from '../network/groups.ts'

export interface RoomSeen {
  roomId: string
  topic: string
}

/** WeChat topics are free text from anyone in the room; cap what we store and match on. */
const MAX_TOPIC = 200
/** How many unbound topics the sync names in its log line. */
const UNBOUND_LOGGED = 20

/**
 * Keeps `groups` in step with the rooms one account sits in: bound by topic at login or when
 * staff bring the bot in, renamed with the room, deactivated when the bot is removed. Binding by 绑定 lives in the bind handler.
 */
export class RoomRegistry {
  constructor(
    private readonly db: Db,
    private readonly log: Logger,
    private readonly botAccountId: number,
  ) {}

  /** On ready: binds every room it can; rooms left unbound wait for a staff member's 绑定. */
  async sync(
    rooms: readonly RoomSeen[],
  ): Promise<{ rooms: number; bound: number; unbound: number }> {
    const seen = rooms.map((r) => ({ roomId: r.roomId, topic: r.topic.slice(0, MAX_TOPIC) }))
    const bound = await bindRoomsByTopic(this.db, this.botAccountId, seen)
    const unbound = seen.filter((r) => !bound.has(r.roomId))
    if (unbound.length > 0) {
      // One line, not one per room: a new account can sit in thousands of rooms nobody imported.
      this.log.info(
        { count: unbound.length, topics: unbound.slice(0, UNBOUND_LOGGED).map((r) => r.topic) },
        'rooms not bound: no group with their topic',
      )
    }
    return { rooms: rooms.length, bound: bound.size, unbound: unbound.length }
  }

  /**
   * The bot was added to a room. A room bound before keeps its unit. An unbound room claims the
   * imported group of its topic only when `mayClaim` says the person who brought the bot in holds
   * a role over that group's unit: a topic alone claims nothing, since anyone can name a room.
   */
  async joined(
    roomId: string,
    topic: string,
    mayClaim: (group: BoundGroup) => Promise<boolean>,
  ): Promise<BoundGroup | undefined> {
    const known = await findGroupByRoomId(this.db, roomId)
    if (known) return reactivateRoom(this.db, known, this.botAccountId)
    const short = topic.slice(0, MAX_TOPIC)
    const candidate = await findUnclaimedGroup(this.db, short)
    if (!candidate || !(await mayClaim(candidate))) {
      this.log.info({ roomId, topic: short }, 'room not bound: waiting for 绑定')
      return undefined
    }
    return claimGroup(this.db, candidate.id, {
      roomId,
      topic: short,
      botAccountId: this.botAccountId,
    })
  }

  /** A bound room keeps its unit whatever its new topic; an unbound one is not bound by a name. */
  async renamed(roomId: string, topic: string): Promise<void> {
    if (await findGroupByRoomId(this.db, roomId)) {
      await renameRoom(this.db, roomId, topic.slice(0, MAX_TOPIC))
    }
  }

  async left(roomId: string): Promise<void> {
    await deactivateRoom(this.db, roomId)
    this.log.warn({ roomId }, 'bot removed from room; group deactivated')
  }
}
