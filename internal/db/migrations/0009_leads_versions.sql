-- 0009_leads_versions: one meaning per version number of a scoring model, its
-- timestamps in order, and a record of a forced conversion (issue 12).
--
-- `version` of lead_scoring_models is now the rules' version: what If-Match
-- on PUT checks, bumped by a PUT that changes the definition and nothing
-- else. The trained model is numbered by `predictive_version` alone (the API
-- calls it `trained_version`). A training sets `updated_at` to its
-- `trained_at`, and a later PUT never sets it earlier: the check below holds.
UPDATE lead_scoring_models SET updated_at = trained_at WHERE updated_at < trained_at;
ALTER TABLE lead_scoring_models ADD CONSTRAINT lead_scoring_models_updated_after_trained
	CHECK (trained_at IS NULL OR updated_at >= trained_at);

-- Converting a disqualified lead needs "force": true; who did it and when is
-- kept on the lead (both or neither) and shown as its `forced_conversion`.
ALTER TABLE leads ADD COLUMN conversion_forced_by text CHECK (length(conversion_forced_by) BETWEEN 1 AND 255);
ALTER TABLE leads ADD COLUMN conversion_forced_at timestamptz;
ALTER TABLE leads ADD CONSTRAINT leads_conversion_forced
	CHECK ((conversion_forced_by IS NULL) = (conversion_forced_at IS NULL));
