ALTER TABLE "deliveries" ADD COLUMN "outcome_unknown" boolean DEFAULT false NOT NULL;--> statement-breakpoint
ALTER TABLE "deliveries" ADD COLUMN "uncertain" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "deliveries" ADD COLUMN "resends" smallint DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "notices" ADD COLUMN "summarized_at" timestamp with time zone;--> statement-breakpoint
-- Notices finished before this migration had their summary sent (or given up) already.
UPDATE "notices" SET "summarized_at" = "finished_at" WHERE "status" = 'done';
--> statement-breakpoint
-- Failure reasons are categories from now on; error texts stored before may hold SQL, parameters
-- or a puppet's answer (PIPL): replaced.
UPDATE "deliveries" SET "last_error" = 'unknown' WHERE "status" = 'failed';
