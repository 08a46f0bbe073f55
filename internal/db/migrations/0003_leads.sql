-- 0003_leads: leads, their scores, and each org's lead-scoring models (DESIGN §7 "Leads").
-- Like every table, each one carries org_id and every key begins with it.
-- Scores are computed in C (internal/leads/score.c) and stored with the lead;
-- the database keeps them and checks their ranges.

-- ---- scoring models -------------------------------------------------------
-- One per org and segment. `definition` is the canonical JSON of the rules,
-- group caps, thresholds, BANT criteria and blend weight (score_model_to_json);
-- `predictive` the learned model (lr_model_to_json) and `evaluation` its
-- holdout evaluation, both NULL until the first training. `version` counts
-- every change of the resource (PUT and training); `predictive_version` the
-- trainings.
CREATE TABLE lead_scoring_models (
	org_id text NOT NULL REFERENCES orgs (org_id),
	segment text NOT NULL CHECK (segment IN ('b2b', 'b2c')),
	definition jsonb NOT NULL CHECK (jsonb_typeof(definition) = 'object'),
	predictive jsonb,
	evaluation jsonb,
	predictive_version int NOT NULL DEFAULT 0,
	trained_at timestamptz,
	version int NOT NULL DEFAULT 1,
	created_at timestamptz NOT NULL DEFAULT now(),
	updated_at timestamptz NOT NULL DEFAULT now(),
	PRIMARY KEY (org_id, segment),
	CONSTRAINT lead_scoring_models_trained CHECK ((predictive IS NULL) = (predictive_version = 0))
);

-- The defaults every org starts with. b2b: authority and budget weigh most;
-- b2c: timeline and engagement. Points are score points; each group's cap
-- bounds its share, and the caps of each model add up to 100.
CREATE FUNCTION leads_seed_models(org text) RETURNS void LANGUAGE sql AS $$
	INSERT INTO lead_scoring_models (org_id, segment, definition) VALUES
	(org, 'b2b', '{
		"rules": [
			{"id": "budget_5k", "field": "budget", "op": "gte", "value": 5000, "points": 10, "group": "budget"},
			{"id": "budget_25k", "field": "budget", "op": "gte", "value": 25000, "points": 10, "group": "budget"},
			{"id": "budget_100k", "field": "budget", "op": "gte", "value": 100000, "points": 10, "group": "budget"},
			{"id": "authority_economic_buyer", "field": "authority", "op": "eq", "value": "economic_buyer", "points": 30, "group": "authority"},
			{"id": "authority_decision_maker", "field": "authority", "op": "eq", "value": "decision_maker", "points": 25, "group": "authority"},
			{"id": "authority_influencer", "field": "authority", "op": "eq", "value": "influencer", "points": 10, "group": "authority"},
			{"id": "authority_none", "field": "authority", "op": "eq", "value": "none", "points": -10, "group": "authority"},
			{"id": "need_high", "field": "need", "op": "eq", "value": "high", "points": 20, "group": "need"},
			{"id": "need_medium", "field": "need", "op": "eq", "value": "medium", "points": 10, "group": "need"},
			{"id": "timeline_90d", "field": "timeline", "op": "within_days", "value": 90, "points": 10, "group": "timeline"},
			{"id": "timeline_180d", "field": "timeline", "op": "within_days", "value": 180, "points": 5, "group": "timeline"},
			{"id": "employees_50", "field": "employees", "op": "gte", "value": 50, "points": 5, "group": "fit"},
			{"id": "engagement_50", "field": "engagement", "op": "gte", "value": 50, "points": 5, "group": "fit"}
		],
		"group_caps": {"budget": 30, "authority": 30, "need": 20, "timeline": 10, "fit": 10},
		"thresholds": {"qualified": 70, "nurture": 40},
		"bant": {
			"required": ["budget", "authority", "need"],
			"budget": {"yes": 25000, "partial": 5000},
			"authority": {"yes": ["decision_maker", "economic_buyer"], "partial": ["influencer"]},
			"need": {"yes": ["high"], "partial": ["medium"]},
			"timeline": {"yes_within_days": 90, "partial_within_days": 180}
		},
		"predicted_weight": 0.5
	}'),
	(org, 'b2c', '{
		"rules": [
			{"id": "timeline_30d", "field": "timeline", "op": "within_days", "value": 30, "points": 15, "group": "timeline"},
			{"id": "timeline_90d", "field": "timeline", "op": "within_days", "value": 90, "points": 10, "group": "timeline"},
			{"id": "timeline_180d", "field": "timeline", "op": "within_days", "value": 180, "points": 10, "group": "timeline"},
			{"id": "engagement_25", "field": "engagement", "op": "gte", "value": 25, "points": 10, "group": "engagement"},
			{"id": "engagement_50", "field": "engagement", "op": "gte", "value": 50, "points": 10, "group": "engagement"},
			{"id": "engagement_75", "field": "engagement", "op": "gte", "value": 75, "points": 15, "group": "engagement"},
			{"id": "need_high", "field": "need", "op": "eq", "value": "high", "points": 15, "group": "need"},
			{"id": "need_medium", "field": "need", "op": "eq", "value": "medium", "points": 8, "group": "need"},
			{"id": "budget_500", "field": "budget", "op": "gte", "value": 500, "points": 5, "group": "budget"},
			{"id": "budget_2k", "field": "budget", "op": "gte", "value": 2000, "points": 5, "group": "budget"},
			{"id": "authority_decides", "field": "authority", "op": "in", "value": ["decision_maker", "economic_buyer"], "points": 5, "group": "authority"}
		],
		"group_caps": {"timeline": 35, "engagement": 35, "need": 15, "budget": 10, "authority": 5},
		"thresholds": {"qualified": 60, "nurture": 30},
		"bant": {
			"required": ["need", "timeline"],
			"budget": {"yes": 1000, "partial": 200},
			"authority": {"yes": ["decision_maker", "economic_buyer"], "partial": ["influencer"]},
			"need": {"yes": ["high"], "partial": ["medium"]},
			"timeline": {"yes_within_days": 30, "partial_within_days": 90}
		},
		"predicted_weight": 0.5
	}')
	ON CONFLICT DO NOTHING;
$$;

CREATE FUNCTION orgs_seed_lead_models() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	PERFORM leads_seed_models(NEW.org_id);
	RETURN NULL;
END
$$;
CREATE TRIGGER orgs_seed_lead_models AFTER INSERT ON orgs FOR EACH ROW EXECUTE FUNCTION orgs_seed_lead_models();

SELECT leads_seed_models(org_id) FROM orgs;

-- ---- leads ----------------------------------------------------------------
-- The input fields as the API gives them; the computed score (0..100), its
-- grade, the learned probability (percent, NULL until the segment has a
-- trained model), the BANT judgement, the suggested status and the
-- breakdown, all recomputed by every write and by every change of the
-- segment's model (open leads: new, qualified, nurture).
CREATE TABLE leads (
	org_id text NOT NULL REFERENCES orgs (org_id),
	id bigint GENERATED BY DEFAULT AS IDENTITY,
	external_id text CHECK (length(external_id) BETWEEN 1 AND 255),
	company text CHECK (length(company) BETWEEN 1 AND 200),
	contact_name text CHECK (length(contact_name) BETWEEN 1 AND 200),
	email text CHECK (length(email) BETWEEN 3 AND 254),
	segment text NOT NULL CHECK (segment IN ('b2b', 'b2c')),
	source text CHECK (length(source) BETWEEN 1 AND 200),
	budget numeric(14, 2) CHECK (budget >= 0),
	authority text CHECK (authority IN ('none', 'influencer', 'decision_maker', 'economic_buyer')),
	need text CHECK (need IN ('none', 'low', 'medium', 'high')),
	timeline date,
	employees int CHECK (employees >= 0),
	industry text CHECK (length(industry) BETWEEN 1 AND 200),
	engagement int CHECK (engagement BETWEEN 0 AND 100),
	attributes jsonb NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(attributes) = 'object'),
	owner_id bigint,
	status text NOT NULL DEFAULT 'new'
		CHECK (status IN ('new', 'qualified', 'nurture', 'disqualified', 'converted')),
	converted_deal_id bigint,
	score int NOT NULL CHECK (score BETWEEN 0 AND 100),
	grade text NOT NULL CHECK (grade IN ('A', 'B', 'C', 'D')),
	probability numeric(5, 2) CHECK (probability BETWEEN 0 AND 100),
	suggested_status text NOT NULL CHECK (suggested_status IN ('qualified', 'nurture', 'disqualified')),
	bant jsonb NOT NULL,
	score_breakdown jsonb NOT NULL,
	version int NOT NULL DEFAULT 1,
	created_at timestamptz NOT NULL DEFAULT now(),
	updated_at timestamptz NOT NULL DEFAULT now(),
	PRIMARY KEY (org_id, id),
	CONSTRAINT leads_owner_fk FOREIGN KEY (org_id, owner_id) REFERENCES people (org_id, id),
	-- a deleted deal unlinks its lead, which stays converted
	CONSTRAINT leads_deal_fk FOREIGN KEY (org_id, converted_deal_id) REFERENCES deals (org_id, id)
		ON DELETE SET NULL (converted_deal_id),
	CONSTRAINT leads_converted_deal CHECK (converted_deal_id IS NULL OR status = 'converted')
);
-- Upsert key of the CRM sync.
CREATE UNIQUE INDEX leads_external_id ON leads (org_id, external_id) WHERE external_id IS NOT NULL;
-- A person's leads (scope of reps and managers); also what a person's delete checks.
CREATE INDEX leads_owner ON leads (org_id, owner_id);
-- Re-scoring a segment's open leads, training on its closed ones.
CREATE INDEX leads_segment_status ON leads (org_id, segment, status);
-- Incremental reads (updated_since).
CREATE INDEX leads_updated ON leads (org_id, updated_at);
-- A deal's lead.
CREATE INDEX leads_deal ON leads (org_id, converted_deal_id) WHERE converted_deal_id IS NOT NULL;
