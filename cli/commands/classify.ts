import { readFile } from 'node:fs/promises'
import { recordAudit } from '../../audit/record-audit.ts'
import { defaultCatalogUrl, fileCategories, readCatalogFile } from '../../orders/catalogue.ts'
import { classify } from '../../orders/classify.ts'
import { evaluate, formatReport, parseEvalFile } from '../../orders/classify-eval.ts'
import { forgetLearned } from '../../orders/learned-examples.ts'
import { type CliCommand, UsageError } from '../command.ts'
import { withDatabase } from '../with-database.ts'

// A paste longer than this is not an order: the classifier reads its head anyway.
const MAX_TEXT_ARG = 10_000

export const classifyCli: CliCommand = {
  name: 'classify',
  usage:
    'classify "<内容>" | classify --eval <标注.tsv> [--catalog <服务目录.json>] | classify --forget <样例编号>',
  summary:
    '按服务目录给一段点单内容分类（JSON），用标注文件（类别代码<TAB>内容）测准确率，或停用一条改类学到的样例',
  options: {
    eval: { type: 'string' },
    catalog: { type: 'string' },
    forget: { type: 'string' },
  },
  async run({ args, flags, config, out }) {
    if (typeof flags.forget === 'string') {
      const id = /^\d{1,9}$/.test(flags.forget) ? Number(flags.forget) : Number.NaN
      if (!Number.isSafeInteger(id)) throw new UsageError(`样例编号应为数字: ${flags.forget}`)
      return withDatabase(config, async ({ db }) => {
        const row = await forgetLearned(db, id, 'cli')
        // Reversing a 改类's lesson is a change like any other: on the audit log.
        await recordAudit(db, {
          actorRef: 'cli',
          action: 'classify.forget',
          unitId: row?.districtId ?? null,
          allowed: row !== undefined,
          detail: { id },
        })
        if (!row) throw new UsageError(`没有在用的学习样例 #${id}`)
        out(`已停用学习样例 #${id}，同样的说法不再按它分类。`)
        return 0
      })
    }
    const catalogFile = typeof flags.catalog === 'string' ? flags.catalog : defaultCatalogUrl
    const categories = fileCategories(await readCatalog(catalogFile))
    if (typeof flags.eval === 'string') {
      if (args.length) throw new UsageError(`--eval 不带内容。用法: quanqun ${classifyCli.usage}`)
      const content = await readFile(flags.eval, 'utf8').catch(() => {
        throw new UsageError(`读不到文件 ${flags.eval}`)
      })
      const { lines, errors } = parseEvalFile(content, new Set(categories.map((c) => c.code)))
      if (errors.length) throw new UsageError(errors.slice(0, 20).join('\n'))
      for (const line of formatReport(evaluate(lines, categories))) out(line)
      return 0
    }
    const text = args.join(' ')
    if (text.trim() === '') throw new UsageError(`请给出内容。用法: quanqun ${classifyCli.usage}`)
    if (text.length > MAX_TEXT_ARG) throw new UsageError(`内容过长（最多 ${MAX_TEXT_ARG} 字）`)
    const c = classify(text, categories)
    out(
      JSON.stringify({
        category: c?.category.code ?? null,
        confidence: c?.confidence ?? 0,
        alternatives: (c?.alternatives ?? []).map((a) => ({
          category: a.category.code,
          confidence: a.confidence,
        })),
        safety: c?.safety ?? false,
      }),
    )
    return 0
  },
}

async function readCatalog(file: URL | string) {
  try {
    return await readCatalogFile(file)
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message : String(error))
  }
}
