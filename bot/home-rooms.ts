/**
 * The rooms of one account a contact is a member of, asked of the puppet: a resident who writes
 * to the bot privately is placed by their home group. Asking means listing every room's members,
 * so each contact's answer is kept a while (a resident who moved groups is seen within HOME_MS).
 */
import type { Wechaty } from 'wechaty'

/** How long a contact's rooms are kept, in milliseconds. */
const HOME_MS = 10 * 60_000
/** Contacts remembered before the oldest are dropped (a map in insertion order). */
const MAX_CONTACTS = 5_000

export class HomeRooms {
  private readonly held = new Map<string, { at: number; rooms: Promise<string[]> }>()

  constructor(private readonly wechaty: Wechaty) {}

  /** Ids of the rooms `contactId` sits in, as this account's puppet sees them. */
  of(contactId: string, now = Date.now()): Promise<string[]> {
    const hit = this.held.get(contactId)
    if (hit && now - hit.at < HOME_MS) return hit.rooms
    const rooms = this.ask(contactId)
    this.held.delete(contactId)
    this.held.set(contactId, { at: now, rooms })
    if (this.held.size > MAX_CONTACTS) this.held.delete(this.held.keys().next().value!)
    // A failed look-up is not kept: the next message asks again.
    rooms.catch(() => this.held.delete(contactId))
    return rooms
  }

  private async ask(contactId: string): Promise<string[]> {
    const contact = await this.wechaty.Contact.find({ id: contactId })
    if (!contact) return []
    const rooms = await this.wechaty.Room.findAll()
    const member = await Promise.all(rooms.map((room) => room.has(contact)))
    return rooms.filter((_, i) => member[i]).map((room) => room.id)
  }
}
