CREATE TABLE "learned_examples" (
	"id" integer PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "learned_examples_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 2147483647 START WITH 1 CACHE 1),
	"district_id" integer NOT NULL,
	"category_id" integer NOT NULL,
	"text" text NOT NULL,
	"order_id" integer,
	"created_by" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"forgotten_at" timestamp with time zone,
	"forgotten_by" text
);
--> statement-breakpoint
CREATE TABLE "order_questions" (
	"order_id" integer PRIMARY KEY NOT NULL,
	"resident_ref" text NOT NULL,
	"group_id" integer NOT NULL,
	"choices" integer[] NOT NULL,
	"asked_at" timestamp with time zone DEFAULT now() NOT NULL,
	"settled_at" timestamp with time zone,
	"outcome" text
);
--> statement-breakpoint
ALTER TABLE "orders" ADD COLUMN "priority" smallint DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "service_catalog" ADD COLUMN "examples" text[] DEFAULT '{}'::text[] NOT NULL;--> statement-breakpoint
ALTER TABLE "service_catalog" ADD COLUMN "urgent" text[] DEFAULT '{}'::text[] NOT NULL;--> statement-breakpoint
ALTER TABLE "learned_examples" ADD CONSTRAINT "learned_examples_district_id_units_id_fk" FOREIGN KEY ("district_id") REFERENCES "public"."units"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "learned_examples" ADD CONSTRAINT "learned_examples_category_id_service_catalog_id_fk" FOREIGN KEY ("category_id") REFERENCES "public"."service_catalog"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "learned_examples" ADD CONSTRAINT "learned_examples_order_id_orders_id_fk" FOREIGN KEY ("order_id") REFERENCES "public"."orders"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "order_questions" ADD CONSTRAINT "order_questions_order_id_orders_id_fk" FOREIGN KEY ("order_id") REFERENCES "public"."orders"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "order_questions" ADD CONSTRAINT "order_questions_group_id_groups_id_fk" FOREIGN KEY ("group_id") REFERENCES "public"."groups"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "learned_examples_district_idx" ON "learned_examples" USING btree ("district_id","id");--> statement-breakpoint
CREATE INDEX "order_questions_open_idx" ON "order_questions" USING btree ("resident_ref","group_id","settled_at");