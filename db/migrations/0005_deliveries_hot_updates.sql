DROP INDEX "deliveries_notice_tier_status_idx";--> statement-breakpoint
DROP INDEX "deliveries_unfinished_idx";--> statement-breakpoint
CREATE INDEX "deliveries_notice_tier_idx" ON "deliveries" USING btree ("notice_id","tier","id");--> statement-breakpoint
ALTER TABLE "deliveries" SET (fillfactor = 50);