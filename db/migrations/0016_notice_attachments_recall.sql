CREATE TABLE "notice_attachments" (
	"id" integer PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "notice_attachments_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 2147483647 START WITH 1 CACHE 1),
	"notice_id" integer NOT NULL,
	"position" smallint NOT NULL,
	"kind" text NOT NULL,
	"sha256" text,
	"name" text NOT NULL,
	"bytes" integer,
	"url" text,
	"description" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "notice_attachments_notice_position_key" UNIQUE("notice_id","position")
);
--> statement-breakpoint
CREATE TABLE "delivery_messages" (
	"delivery_id" integer NOT NULL,
	"part" smallint NOT NULL,
	"message_id" text NOT NULL,
	"said_at" timestamp with time zone DEFAULT now() NOT NULL,
	"recall" text,
	"recalled_at" timestamp with time zone,
	CONSTRAINT "delivery_messages_delivery_id_part_pk" PRIMARY KEY("delivery_id","part")
);
--> statement-breakpoint
ALTER TABLE "deliveries" ADD COLUMN "parts" smallint DEFAULT 1 NOT NULL;--> statement-breakpoint
ALTER TABLE "deliveries" ADD COLUMN "parts_said" smallint DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "deliveries" ADD COLUMN "recall" text;--> statement-breakpoint
ALTER TABLE "notice_attachments" ADD CONSTRAINT "notice_attachments_notice_id_notices_id_fk" FOREIGN KEY ("notice_id") REFERENCES "public"."notices"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "delivery_messages" ADD CONSTRAINT "delivery_messages_delivery_id_deliveries_id_fk" FOREIGN KEY ("delivery_id") REFERENCES "public"."deliveries"("id") ON DELETE no action ON UPDATE no action;