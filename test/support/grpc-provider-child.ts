/**
 * A puppet-service provider as an operator would run one, in a process of its own:
 * wechaty-puppet-service's PuppetServer serving a PuppetMock that holds one bot account's rooms of
 * the district in DATABASE_URL (a room bound before keeps its id, so a restarted provider serves
 * the same rooms), with the residents of fixtures/sample-residents.ts.
 *
 * Env (this is an entry point): DATABASE_URL, ACCOUNT, PORT (gRPC on 127.0.0.1), TOKEN, TLS=1 for
 * the package's own self-signed certificate (an `insecure_` token), plain gRPC otherwise.
 *
 * Prints `{"event":"listening","control":<port>}` on stdout once serving. The control port is a
 * small HTTP API for the test (grpc-provider.ts): POST /say, POST /system, POST /fail, GET /said.
 */
import { createServer, type IncomingMessage } from 'node:http'
import type { AddressInfo } from 'node:net'
import { PuppetServer } from 'wechaty-puppet-service'
import { MockNetwork } from '../../bot/mock-network.ts'
import { openDatabase } from '../../db/client.ts'
import { sampleResidents } from '../../fixtures/sample-residents.ts'
import { aroundPuppetSends } from './mock-sends.ts'

const env = process.env
const database = openDatabase({ url: env.DATABASE_URL!, max: 1 })
const network = await MockNetwork.build(database.db, sampleResidents)
await database.close()
const account = network.account(env.ACCOUNT!)
const puppet = account.mocker.puppet

/** Sends refused from now on: the next `count` fail with `text`, as the platform would refuse. */
const refusals: string[] = []
aroundPuppetSends(network, account.name, (_room, _text, say) => {
  const refusal = refusals.shift()
  return refusal === undefined ? say() : Promise.reject(new Error(refusal))
})

const server = new PuppetServer({
  endpoint: `127.0.0.1:${env.PORT}`,
  puppet,
  token: env.TOKEN!,
  tls: { disable: env.TLS !== '1' },
})
await server.start()

// A real provider's account is logged in whenever its puppet runs: the client's start() starts it,
// a client's stop() stops it (and the mock logs out), so log in again each time it is running.
// `ready` comes twice, as providers were seen to send it (issue 23): once is enough to act on.
setInterval(() => {
  if (!puppet.state.active() || puppet.isLoggedIn) return
  account.mocker.login(account.self)
  puppet.emit('ready', { data: 'provider ready' })
  setTimeout(() => puppet.emit('ready', { data: 'provider ready again' }), 200)
}, 50)

async function body(req: IncomingMessage): Promise<Record<string, unknown>> {
  let text = ''
  for await (const chunk of req) text += String(chunk)
  return text ? (JSON.parse(text) as Record<string, unknown>) : {}
}

const control = createServer((req, res) => {
  const reply = (value: unknown) => {
    res.setHeader('content-type', 'application/json')
    res.end(JSON.stringify(value ?? null))
  }
  const handle = async () => {
    const b = await body(req)
    switch (`${req.method} ${req.url}`) {
      case 'POST /say':
        return network.say(String(b.wechatId), String(b.topic), String(b.text))
      case 'POST /system':
        return network.systemMessage(String(b.topic), String(b.text))
      case 'POST /fail':
        for (let i = 0; i < Number(b.count); i++) refusals.push(String(b.text))
        return
      case 'GET /said':
        // The provider's clock: what pacing promises is measured where WeChat would see it.
        return network.transcript
          .filter((s) => s.fromBot)
          .map(({ topic, roomId, text, at }) => ({ topic, roomId, text, at }))
      case 'GET /state':
        return { active: puppet.state.active() === true, loggedIn: puppet.isLoggedIn }
      default:
        res.statusCode = 404
    }
  }
  handle().then(reply, (error: unknown) => {
    res.statusCode = 500
    reply({ error: String(error) })
  })
})
control.listen(0, '127.0.0.1', () => {
  const port = (control.address() as AddressInfo).port
  process.stdout.write(`${JSON.stringify({ event: 'listening', control: port })}\n`)
})

process.on('SIGTERM', () => {
  server.stop().finally(() => process.exit(0))
})
