import type { Db } from '../db/client.ts'
import {
  bindRoomByTopic,
  deactivateRoom,
  findGroupByRoomId,
  renameRoom,
} from '../network/groups.ts'
import type { Logger } from '../runtime/logger.ts'

export interface RoomSeen {
  roomId: string
  topic: string
}

/** WeChat topics are free text from anyone in the room; cap what we store and match on. */
const MAX_TOPIC = 200

/**
 * Keeps `groups` in step with the rooms one account sits in: bound by topic on sight, renamed
 * with the room, deactivated when the bot is removed. Binding by 绑定 lives in the bind handler.
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
    let bound = 0
    const live = new Set(rooms.map((r) => r.roomId))
    for (const room of rooms) {
      if (await this.joined(room.roomId, room.topic, live)) bound++
    }
    return { rooms: rooms.length, bound, unbound: rooms.length - bound }
  }

  async joined(roomId: string, topic: string, live?: ReadonlySet<string>): Promise<boolean> {
    const group = await bindRoomByTopic(
      this.db,
      { roomId, topic: topic.slice(0, MAX_TOPIC), botAccountId: this.botAccountId },
      live,
    )
    if (!group) this.log.info({ roomId, topic }, 'room not bound: no group with this topic')
    return group !== undefined
  }

  /** A bound room keeps its unit whatever its new topic; an unbound one may now match. */
  async renamed(roomId: string, topic: string): Promise<void> {
    const short = topic.slice(0, MAX_TOPIC)
    if (await findGroupByRoomId(this.db, roomId)) await renameRoom(this.db, roomId, short)
    else await this.joined(roomId, short)
  }

  async left(roomId: string): Promise<void> {
    await deactivateRoom(this.db, roomId)
    this.log.warn({ roomId }, 'bot removed from room; group deactivated')
  }
}
