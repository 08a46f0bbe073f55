-- 0005_lead_suggested_new: a scoring model may set thresholds.disqualified
-- below thresholds.nurture; a lead scoring between the two is suggested
-- 'new' (keep working it), so the suggestion may now be 'new' too.
ALTER TABLE leads DROP CONSTRAINT leads_suggested_status_check;
ALTER TABLE leads ADD CONSTRAINT leads_suggested_status_check
	CHECK (suggested_status IN ('qualified', 'nurture', 'new', 'disqualified'));

-- A stored definition is canonical (score_model_to_json), which now always
-- names thresholds.disqualified; the seeded defaults (0003) did not. Give
-- them theirs (= nurture, the old meaning), and have the seeding do so too.
UPDATE lead_scoring_models
	SET definition = jsonb_set(definition, '{thresholds,disqualified}', definition #> '{thresholds,nurture}')
	WHERE NOT definition -> 'thresholds' ? 'disqualified';
ALTER FUNCTION leads_seed_models(text) RENAME TO leads_seed_models_0003;
CREATE FUNCTION leads_seed_models(org text) RETURNS void LANGUAGE sql AS $$
	SELECT leads_seed_models_0003(org);
	UPDATE lead_scoring_models
		SET definition = jsonb_set(definition, '{thresholds,disqualified}', definition #> '{thresholds,nurture}')
		WHERE org_id = org AND NOT definition -> 'thresholds' ? 'disqualified';
$$;
