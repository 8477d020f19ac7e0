export * from './audit.ts'
export * from './broadcasts.ts'
export * from './network.ts'
export * from './orders.ts'
