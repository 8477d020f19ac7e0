export * from './audit.ts'
export * from './network.ts'
