# One image for every role; the command picks it (bot, worker, scheduler, web, start).
FROM node:20-bookworm-slim
WORKDIR /app
ENV NODE_ENV=production
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund
COPY . .
ENTRYPOINT ["node", "bin/quanqun.js"]
CMD ["start", "--quiet"]
