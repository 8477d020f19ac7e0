ALTER TABLE "deliveries" ADD COLUMN "outcome_unknown" boolean DEFAULT false NOT NULL;--> statement-breakpoint
ALTER TABLE "deliveries" ADD COLUMN "uncertain" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "deliveries" ADD COLUMN "resends" smallint DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "notices" ADD COLUMN "summarized_at" timestamp with time zone;--> statement-breakpoint
-- Notices finished before this migration had their summary sent (or given up) already.
UPDATE "notices" SET "summarized_at" = "finished_at" WHERE "status" = 'done';
