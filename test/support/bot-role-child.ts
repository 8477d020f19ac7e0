/**
 * `quanqun bot --accounts …` in a process of its own on the mock puppet, for the test that runs a
 * district as several processes: the role as the CLI starts it (loadConfig, openApp,
 * startBotRole with the accounts named), printing every line its bots say (one JSON line each,
 * with the account) and letting the test's residents speak in its rooms: each JSON line on stdin,
 * `{ "say": { "wechatId", "topic", "text" } }`, is said in the room with that topic.
 *
 * Env (this is an entry point): what loadConfig reads (DATABASE_URL, REDIS_URL, QUEUE_PREFIX,
 * PACING_*), and ACCOUNTS, the --accounts list.
 */
import { createInterface } from 'node:readline'
import { destination, pino } from 'pino'
import { openApp } from '../../app/app.ts'
import { startBotRole } from '../../app/bot-role.ts'
import { loadConfig, MOCK_PUPPET } from '../../core/config.ts'
import { sampleResidents } from '../../fixtures/sample-residents.ts'

const config = loadConfig({ ...process.env, WECHATY_PUPPET: MOCK_PUPPET })
// Logs to stderr: stdout carries the events the test waits for.
const log = pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' }, destination(2))
const app = await openApp(config, log)
const accounts = (process.env.ACCOUNTS ?? '').split(',').filter(Boolean)
const role = await startBotRole(app, config, { accounts, residents: sampleResidents })
const network = role.network!
network.onSaid((s) => {
  if (s.fromBot) {
    const said = { event: 'said', account: s.account, roomId: s.roomId, text: s.text }
    process.stdout.write(`${JSON.stringify({ ...said, topic: s.topic })}\n`)
  }
})
createInterface({ input: process.stdin }).on('line', (line) => {
  const { say } = JSON.parse(line) as { say: { wechatId: string; topic: string; text: string } }
  network.say(say.wechatId, say.topic, say.text)
})
process.stdout.write(
  `${JSON.stringify({ event: 'ready', accounts: role.bots.accounts.map((a) => a.name) })}\n`,
)
