CREATE TABLE "points_pending" (
	"id" integer PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "points_pending_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 2147483647 START WITH 1 CACHE 1),
	"tx_id" text NOT NULL,
	"member_id" integer NOT NULL,
	"order_id" integer,
	"amount" integer NOT NULL,
	"reason" text NOT NULL,
	"status" text DEFAULT 'pending' NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"decided_at" timestamp with time zone,
	"decided_by" text,
	"decision_note" text,
	CONSTRAINT "points_pending_amount_positive" CHECK ("points_pending"."amount" > 0)
);
--> statement-breakpoint
DROP INDEX "orders_group_category_idx";--> statement-breakpoint
ALTER TABLE "service_catalog" ADD COLUMN "max_hours" numeric(6, 2) DEFAULT '24' NOT NULL;--> statement-breakpoint
ALTER TABLE "points_pending" ADD CONSTRAINT "points_pending_member_id_members_id_fk" FOREIGN KEY ("member_id") REFERENCES "public"."members"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "points_pending" ADD CONSTRAINT "points_pending_order_id_orders_id_fk" FOREIGN KEY ("order_id") REFERENCES "public"."orders"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "points_pending_tx_key" ON "points_pending" USING btree ("tx_id");--> statement-breakpoint
CREATE INDEX "points_pending_status_idx" ON "points_pending" USING btree ("status","id");