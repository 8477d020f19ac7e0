ALTER TABLE "notices" ADD COLUMN "approval_requested_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "notices" ADD COLUMN "approved_by_member_id" integer;--> statement-breakpoint
ALTER TABLE "notices" ADD CONSTRAINT "notices_approved_by_member_id_members_id_fk" FOREIGN KEY ("approved_by_member_id") REFERENCES "public"."members"("id") ON DELETE no action ON UPDATE no action;