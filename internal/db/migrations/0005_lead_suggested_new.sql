-- 0005_lead_suggested_new: a scoring model may set thresholds.disqualified
-- below thresholds.nurture; a lead scoring between the two is suggested
-- 'new' (keep working it), so the suggestion may now be 'new' too.
ALTER TABLE leads DROP CONSTRAINT leads_suggested_status_check;
ALTER TABLE leads ADD CONSTRAINT leads_suggested_status_check
	CHECK (suggested_status IN ('qualified', 'nurture', 'new', 'disqualified'));
