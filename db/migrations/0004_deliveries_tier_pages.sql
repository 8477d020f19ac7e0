DROP INDEX "deliveries_notice_status_idx";--> statement-breakpoint
CREATE INDEX "deliveries_notice_tier_status_idx" ON "deliveries" USING btree ("notice_id","tier","status","id");